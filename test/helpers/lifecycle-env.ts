// Everything a lifecycle test needs, all real: a Temporal server (shared dev server or a
// time-skipping one), the sandbox gateway, a worker with our activities, and the notify webhook.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { AlipayGateway } from '../../alipay/gateway';
import { parseFormEncoded } from '../../alipay/notify';
import { handleAlipayNotification, type NotifyOutcome } from '../../client/alipay-notify';
import { createRedPacketClient, type RedPacketClient } from '../../client/red-packet-client';
import type { RunningSandbox, SandboxOptions } from '../../sandbox/server';
import type { RedPacketInput } from '../../workflows/messages';
import { payRedPacket } from './pay';
import { merchantGateway, startTestSandbox } from './sandbox';
import { sharedWorkflowBundle } from '../harness/workflow-bundle';

export const WORKFLOWS_PATH = join(__dirname, '..', '..', 'workflows', 'index.ts');

export interface LifecycleEnv {
  temporal: Client;
  sandbox: RunningSandbox;
  gateway: AlipayGateway;
  packets: RedPacketClient;
  webhookUrl: string;
  notifyOutcomes: NotifyOutcome[];
  taskQueue: string;
  /** Funds a packet in the sandbox (agreement pay) and starts its lifecycle. */
  fundAndStart(options: PacketOptions): Promise<{ authNo: string; input: RedPacketInput }>;
  close(): Promise<void>;
}

export interface PacketOptions {
  totalFen: number;
  split: RedPacketInput['split'];
  shares?: number;
  ttlMs: number;
  /** How long the start waits for the funding check (the typed client's default otherwise). */
  fundingWaitMs?: number;
  /** The sandbox refunds the balance itself after this long (agreement pay `orderExpiredTime`). */
  alipayExpiry?: string;
  refundNotifyWaitMs?: number;
  continueAsNewAfterEvents?: number;
  now?: () => Date;
}

export async function startLifecycleEnv(
  temporal: Client,
  connection: NativeConnection,
  sandboxOptions: Partial<SandboxOptions> = {},
): Promise<LifecycleEnv> {
  const sandbox = await startTestSandbox(sandboxOptions);
  const gateway = merchantGateway(sandbox, { headersTimeoutMs: 1500 });
  const notifyOutcomes: NotifyOutcome[] = [];
  const deps = { temporal, appId: sandbox.keys.appId, alipayPublicKey: sandbox.keys.alipayPublicKey };

  const webhook: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      void handleAlipayNotification(deps, parseFormEncoded(body)).then((outcome) => {
        notifyOutcomes.push(outcome);
        const ok = outcome.kind === 'delivered' || outcome.kind === 'already-completed';
        res.writeHead(ok ? 200 : 400, { 'content-type': 'text/plain' }).end(ok ? 'success' : 'fail');
      });
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alipay/notify`;

  const taskQueue = `lifecycle-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: await sharedWorkflowBundle(WORKFLOWS_PATH),
    activities: createActivities(gateway, { notifyUrl: webhookUrl }),
    maxHeartbeatThrottleInterval: '2 seconds', // as worker/create-worker.ts
  });
  const running = worker.run();
  const packets = createRedPacketClient(temporal, taskQueue);

  return {
    temporal,
    sandbox,
    gateway,
    packets,
    webhookUrl,
    notifyOutcomes,
    taskQueue,
    async fundAndStart(options) {
      const pay = await payRedPacket(gateway, {
        totalFen: options.totalFen,
        notifyUrl: webhookUrl,
        prefix: 'T',
        extraParam: options.alipayExpiry
          ? JSON.stringify({ merchantExt: `orderExpiredTime=${options.alipayExpiry}` })
          : undefined,
      });
      const now = options.now?.() ?? new Date();
      const input: RedPacketInput = {
        authNo: pay.authNo,
        outOrderNo: pay.outOrderNo,
        totalFen: options.totalFen,
        split: options.split,
        funding: { payOperationId: pay.payOperationId },
        shares: options.shares,
        expiresAt: new Date(now.getTime() + options.ttlMs).toISOString(),
        title: 'test red packet',
        refundNotifyWaitMs: options.refundNotifyWaitMs,
        continueAsNewAfterEvents: options.continueAsNewAfterEvents,
      };
      await packets.createRedPacket(input, undefined, options.fundingWaitMs);
      return { authNo: pay.authNo, input };
    },
    async close() {
      worker.shutdown();
      await running;
      await gateway.close();
      await sandbox.close();
      await new Promise((resolve) => webhook.close(resolve));
    },
  };
}

/**
 * Polls until `check` passes (for eventually consistent things: the sandbox's notifications,
 * visibility) and answers the value that passed; throws with the last value read if none did
 * within `timeoutMs`, so a wait that never succeeds fails the test where it waited.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`not reached within ${timeoutMs} ms; last value read: ${preview(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 2000 ? `${text.slice(0, 2000)}...` : text;
}
