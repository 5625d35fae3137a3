// The product as `npm start` wires it, in-process: sandbox gateway, worker, and both listeners
// (the service API with a keys file, the Alipay webhook) on ports the OS picks.
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { AlipayGateway } from '../../alipay/gateway';
import { parseAmount } from '../../alipay/money';
import type { Scope } from '../../client/api-keys';
import { startListeners } from '../../client/http/listeners';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { Tracing } from '../../tracing/setup';
import type { PacketCountWatch } from '../../client/http/packet-counts';
import { createMetrics, type Metrics } from '../../client/http/metrics';
import type { CreateBody } from '../../client/http/red-packet-requests';
import { createOrderClient, type OrderClient } from '../../client/order-client';
import { createRedPacketClient } from '../../client/red-packet-client';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from '../../config/env';
import { createWorker } from '../../worker/create-worker';
import type { RunningSandbox, SandboxOptions } from '../../sandbox/server';
import { createTestKeys } from './api-keys';
import { payRedPacket } from './pay';
import { merchantGateway, startTestSandbox } from './sandbox';

export interface HttpEnvOptions {
  sandbox?: Partial<SandboxOptions>;
  payloadCodec?: PayloadCodec;
  /** The API listener's host (default 127.0.0.1); 0.0.0.0 makes it a non-loopback listener. */
  apiHost?: string;
  limits?: { api?: Partial<ListenerLimits>; webhook?: Partial<ListenerLimits> };
  /** false: no worker in this process (the test runs worker/main.ts on `taskQueue` itself). */
  inProcessWorker?: boolean;
  /** Traced as in production with tracing on: client interceptor, route spans, worker, Alipay calls. */
  tracing?: Tracing;
}

export interface RequestOptions {
  /** The bearer token to send; `null` sends no Authorization header. Default: the all-scopes key. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface HttpEnv {
  api: FastifyInstance;
  webhook: FastifyInstance;
  /** The service API listener. */
  url: string;
  /** The Alipay webhook listener. */
  webhookUrl: string;
  keysFile: string;
  /** The worker's task queue (for typed clients of this env). */
  taskQueue: string;
  /** The typed client of pay orders, on this env's task queue. */
  orders: OrderClient;
  /** A key with every scope, used by `request` unless told otherwise. */
  token: string;
  /** Every log line both listeners wrote. */
  logs: string[];
  /** Mints a key into the keys file and resolves once the running store accepts it. */
  mint(scopes: readonly Scope[]): Promise<{ id: string; token: string }>;
  revoke(id: string): void;
  sandbox: RunningSandbox;
  gateway: AlipayGateway;
  metrics: Metrics;
  /** The API listener's redpacket_packets refresher (every 500 ms here). */
  packetCounts: PacketCountWatch;
  /** Funds a packet in the sandbox (as the payer's pay call would) and returns its auth_no. */
  fund(totalFen: number): Promise<{ authNo: string; outOrderNo: string; payOperationId: string }>;
  /** Funds a packet of `amount` and creates it through `POST /red-packets`; throws unless 201. */
  openPacket(
    body: Omit<CreateBody, 'authNo' | 'outOrderNo' | 'payOperationId' | 'payOutRequestNo'>,
  ): Promise<{ authNo: string; outOrderNo: string; status: number }>;
  request(
    method: string,
    path: string,
    body?: unknown,
    options?: RequestOptions,
  ): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }>;
  close(): Promise<void>;
}

/** The app's client shares the worker's native connection, the kind `npm run server` connects with. */
export async function startHttpEnv(
  connection: NativeConnection,
  options: HttpEnvOptions = {},
): Promise<HttpEnv> {
  const { payloadCodec } = options;
  const temporal = new Client({
    connection,
    dataConverter: payloadCodec ? { payloadCodecs: [payloadCodec] } : undefined,
    interceptors: options.tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined,
  });
  const sandbox = await startTestSandbox(options.sandbox ?? {});
  const gateway = merchantGateway(sandbox, { headersTimeoutMs: 1500, traced: options.tracing !== undefined });
  const taskQueue = `http-${randomUUID()}`;
  const metrics = createMetrics();
  const keys = createTestKeys();
  const orders = createOrderClient(temporal, taskQueue);
  const logs: string[] = [];
  const listener = (host: string, limits: Partial<ListenerLimits> = {}) => ({
    host,
    port: 0,
    limits: { ...DEFAULT_LISTENER_LIMITS, ...limits },
  });
  const listeners = await startListeners({
    config: {
      api: listener(options.apiHost ?? '127.0.0.1', options.limits?.api),
      webhook: listener('127.0.0.1', options.limits?.webhook),
      run: { api: true, webhook: true },
      trustProxy: undefined,
    },
    temporal,
    packets: createRedPacketClient(temporal, taskQueue, { traced: options.tracing !== undefined }),
    orders,
    alipay: { appId: sandbox.keys.appId, alipayPublicKey: sandbox.keys.alipayPublicKey },
    keys: keys.store,
    metrics,
    codec: payloadCodec && { codec: payloadCodec, allowedOrigin: 'http://localhost:8233' },
    logger: { stream: { write: (line) => void logs.push(line) } },
    packetCounts: { taskQueue, intervalMs: 500 },
    tracing: options.tracing !== undefined,
  });
  const url = listeners.api!.url;
  const webhookUrl = listeners.webhook!.url;
  const worker: Worker | undefined =
    options.inProcessWorker === false
      ? undefined
      : await createWorker({
          connection,
          namespace: 'default',
          taskQueue,
          gateway,
          notifyUrl: `${webhookUrl}/alipay/notify`,
          payloadCodec,
          tracing: options.tracing,
        });
  const running = worker?.run();

  const fund: HttpEnv['fund'] = (totalFen) =>
    payRedPacket(gateway, { totalFen, notifyUrl: `${webhookUrl}/alipay/notify`, prefix: 'H' });
  const request: HttpEnv['request'] = async (method, path, body, requestOptions = {}) => {
    const bearer = requestOptions.token === undefined ? keys.token : requestOptions.token;
    const headers: Record<string, string> = { ...requestOptions.headers };
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = { text };
    }
    return { status: response.status, json, headers: response.headers };
  };

  return {
    api: listeners.api!.app,
    webhook: listeners.webhook!.app,
    url,
    webhookUrl,
    keysFile: keys.keysFile,
    orders,
    taskQueue,
    token: keys.token,
    logs,
    mint: keys.mint,
    revoke: keys.revoke,
    sandbox,
    gateway,
    metrics,
    packetCounts: listeners.packetCounts!,
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
      worker?.shutdown();
      await running;
      keys.store.close();
      await listeners.close();
      await gateway.close();
      await sandbox.close();
    },
  };
}
