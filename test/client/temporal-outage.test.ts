// Temporal goes down while Alipay notifies: the webhook answers 5xx `fail`, Alipay retries, and
// once Temporal is back the same notification is delivered. Nothing is lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createRedPacketClient } from '../../client/red-packet-client';
import { createWorker } from '../../worker/create-worker';
import { startDevServer, type RunningDevServer } from '../../embedded/dev-server';
import { eventually } from '../helpers/lifecycle-env';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';
import { restartableDevServerOptions } from '../helpers/restartable-dev-server';

const dir = mkdtempSync(join(tmpdir(), 'outage-'));
let options: Parameters<typeof startDevServer>[0];
let server: RunningDevServer;
let nativeConnection: NativeConnection;
let env: HttpEnv;

beforeAll(async () => {
  options = await restartableDevServerOptions(dir);
  server = await startDevServer(options);
  nativeConnection = await NativeConnection.connect({ address: server.address });
  env = await startHttpEnv(nativeConnection, { sandbox: { timeScale: 0.001 } });
});

afterAll(async () => {
  await env?.close();
  await nativeConnection?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Temporal restarting under a claim', () => {
  it('a claim sent while no worker runs and Temporal restarts is taken by the packet, never refused', async () => {
    // The packet's own worker, which this test stops: the claim waits at Temporal, not yet taken.
    const taskQueue = `outage-claims-${Date.now()}`;
    const workerDeps = {
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      gateway: env.gateway,
    };
    let worker = await createWorker(workerDeps);
    let running = worker.run();
    const temporal = new Client({ connection: await Connection.connect({ address: server.address }) });
    const packets = createRedPacketClient(temporal, taskQueue);
    const funded = await env.fund(500);
    const created = await packets.createRedPacket({
      authNo: funded.authNo,
      outOrderNo: funded.outOrderNo,
      totalFen: 500,
      split: 'claimant',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      funding: { payOperationId: funded.payOperationId },
    });
    expect(created.status).toBe('OPEN');
    worker.shutdown();
    await running;

    const claim = packets.claim(funded.authNo, {
      claimId: 'during',
      payeeUserId: '2088000000000007',
      amountFen: 200,
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server.stop();
    server = await startDevServer(options);
    worker = await createWorker(workerDeps);
    running = worker.run();
    expect(await claim).toMatchObject({ accepted: true, claimId: 'during', amountFen: 200 });
    const paid = await eventually(
      () => packets.getState(funded.authNo),
      (state) => state.claims[0]?.status === 'PAID',
      30_000,
    );
    expect(paid).toMatchObject({ claimedFen: 200, paidFen: 200, remainingFen: 300, claimCount: 1 });
    const payouts = env.sandbox.ledger
      .packet(funded.authNo)
      .operations.filter((operation) => operation.operationType === 'DISBURSE');
    expect(payouts.map((operation) => operation.amount)).toEqual([200]);
    await temporal.workflow.getHandle(`red-packet-${funded.authNo}`).terminate('test done');
    worker.shutdown();
    await running;
    await temporal.connection.close();
  }, 120_000);
});

describe('Temporal outage during a notification', () => {
  it('answers 5xx while Temporal is down and delivers the same notification after it is back', async () => {
    const { authNo, status } = await env.openPacket({ amount: '5.00', split: 'claimant', ttlSeconds: 3600 });
    expect(status).toBe(201);
    await env.request('POST', `/red-packets/${authNo}/claims`, {
      claimId: 'c',
      payeeUserId: '2088000000000005',
      amount: '2.00',
    });
    await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => (response.json.claims as Array<{ status: string }>)[0]?.status === 'PAID',
    );

    await server.stop();
    // Alipay refunds the balance itself and notifies our webhook while Temporal is down.
    await fetch(`${env.sandbox.url}/sandbox/packets/${authNo}/expire`, { method: 'POST' });
    const failed = await eventually(
      async () => env.sandbox.notifier.history().filter((delivery) => delivery.answer !== 'success'),
      (deliveries) => deliveries.length > 0,
      30_000,
    );
    expect(failed[0]!.answer).toMatch(/^HTTP 503/);
    const notifyId = failed[0]!.notifyId;

    server = await startDevServer(options);
    const final = await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => response.json.status === 'COMPLETED',
      60_000,
    );
    expect(final.json).toMatchObject({
      status: 'COMPLETED',
      refunded: '3.00',
      refund: { source: 'ALIPAY_TIMEOUT', status: 'SUCCESS' },
    });
    const succeeded = env.sandbox.notifier
      .history()
      .filter((delivery) => delivery.notifyId === notifyId && delivery.answer === 'success');
    expect(succeeded).toHaveLength(1);
    expect(env.sandbox.ledger.packet(authNo)).toMatchObject({ disbursed: 200, refunded: 300, balance: 0 });
  }, 120_000);
});
