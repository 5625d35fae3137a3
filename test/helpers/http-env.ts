// The product as `npm start` wires it, in-process: sandbox gateway, worker, and the HTTP app
// listening on a free port as Alipay's webhook.
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { AlipayGateway } from '../../alipay/gateway';
import { parseAmount } from '../../alipay/money';
import { buildApp } from '../../client/http/app';
import { createMetrics, type Metrics } from '../../client/http/metrics';
import type { CreateBody } from '../../client/http/red-packet-requests';
import { createRedPacketClient } from '../../client/red-packet-client';
import { createWorker } from '../../worker/create-worker';
import type { RunningSandbox, SandboxOptions } from '../../sandbox/server';
import { payRedPacket } from './pay';
import { merchantGateway, startTestSandbox } from './sandbox';

export interface HttpEnv {
  app: FastifyInstance;
  url: string;
  sandbox: RunningSandbox;
  gateway: AlipayGateway;
  metrics: Metrics;
  /** Funds a packet in the sandbox (as the payer's pay call would) and returns its auth_no. */
  fund(totalFen: number): Promise<{ authNo: string; outOrderNo: string }>;
  /** Funds a packet of `amount` and creates it through `POST /red-packets`; throws unless 201. */
  openPacket(
    body: Omit<CreateBody, 'authNo' | 'outOrderNo'>,
  ): Promise<{ authNo: string; outOrderNo: string; status: number }>;
  request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** The app's client shares the worker's native connection, the kind `npm run server` connects with. */
export async function startHttpEnv(
  connection: NativeConnection,
  sandboxOptions: Partial<SandboxOptions> = {},
  payloadCodec?: PayloadCodec,
): Promise<HttpEnv> {
  const temporal = new Client({
    connection,
    dataConverter: payloadCodec ? { payloadCodecs: [payloadCodec] } : undefined,
  });
  const sandbox = await startTestSandbox(sandboxOptions);
  const gateway = merchantGateway(sandbox, { headersTimeoutMs: 1500 });
  const taskQueue = `http-${randomUUID()}`;
  const metrics = createMetrics();
  const app = await buildApp({
    temporal,
    packets: createRedPacketClient(temporal, taskQueue),
    alipay: { appId: sandbox.keys.appId, alipayPublicKey: sandbox.keys.alipayPublicKey },
    metrics,
    codec: payloadCodec && { codec: payloadCodec, allowedOrigin: 'http://localhost:8233' },
  });
  const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  const worker: Worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue,
    gateway,
    notifyUrl: `${url}/alipay/notify`,
    payloadCodec,
  });
  const running = worker.run();

  const fund: HttpEnv['fund'] = (totalFen) =>
    payRedPacket(gateway, { totalFen, notifyUrl: `${url}/alipay/notify`, prefix: 'H' });
  const request: HttpEnv['request'] = async (method, path, body) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = { text };
    }
    return { status: response.status, json };
  };

  return {
    app,
    url,
    sandbox,
    gateway,
    metrics,
    fund,
    request,
    async openPacket(body) {
      const funded = await fund(parseAmount(body.amount));
      const created = await request('POST', '/red-packets', { ...funded, ...body });
      if (created.status !== 201)
        throw new Error(`create: HTTP ${created.status} ${JSON.stringify(created.json)}`);
      return { ...funded, status: created.status };
    },
    async close() {
      worker.shutdown();
      await running;
      await app.close();
      await gateway.close();
      await sandbox.close();
    },
  };
}
