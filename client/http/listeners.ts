// Starts the listeners a process runs (SERVER_LISTENERS): the service API and/or the Alipay
// webhook, each on its own host and port. `npm run server` and `npm start` both come through here.
import type { KeyObject } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { localUrl, type HttpConfig, type Listener } from '../../config/env';
import { ConfigError } from '../../config/errors';
import type { OrderClient } from '../order-client';
import type { RedPacketClient } from '../red-packet-client';
import { isLoopbackHost } from './access-control';
import type { ApiKeyLookup } from './api-key-store';
import { buildApiApp, buildWebhookApp } from './app';
import { createMetrics, type Metrics } from './metrics';
import { watchPacketCounts, type PacketCountWatch } from './packet-counts';
import type { DeploymentSettings } from './red-packet-requests';
import { LISTEN_BACKLOG, type LoggerOption } from './server-base';

export interface ListenersDeps {
  config: Pick<HttpConfig, 'api' | 'webhook' | 'run' | 'trustProxy'>;
  temporal: Client;
  packets: RedPacketClient;
  orders: OrderClient;
  alipay: { appId: string; alipayPublicKey: KeyObject };
  /** Required when the API listener runs. */
  keys?: ApiKeyLookup;
  settings?: DeploymentSettings;
  codec?: { codec: PayloadCodec; allowedOrigin: string };
  metrics?: Metrics;
  logger?: LoggerOption;
  /** A span per request, the trace id in its log lines (tracing/setup.ts on). */
  tracing?: boolean;
  /** The API listener's redpacket_packets gauge counts the packets of this task queue. */
  packetCounts?: { taskQueue: string; intervalMs?: number };
}

export interface RunningListener {
  app: FastifyInstance;
  /** http://host:port as a client on this machine reaches it. */
  url: string;
}

export interface RunningListeners {
  api?: RunningListener;
  webhook?: RunningListener;
  /** The packet-count refresher, when the API listener runs with packetCounts. */
  packetCounts?: PacketCountWatch;
  close(): Promise<void>;
}

async function listen(app: FastifyInstance, listener: Listener): Promise<RunningListener> {
  await app.listen({ host: listener.host, port: listener.port, backlog: LISTEN_BACKLOG });
  const { port } = app.server.address() as { port: number };
  return { app, url: localUrl(listener.host, port) };
}

export async function startListeners(deps: ListenersDeps): Promise<RunningListeners> {
  const { config } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const common = {
    temporal: deps.temporal,
    metrics,
    logger: deps.logger,
    trustProxy: config.trustProxy,
    tracing: deps.tracing,
  };
  const running: RunningListeners = {
    async close() {
      running.packetCounts?.close();
      await running.api?.app.close();
      await running.webhook?.app.close();
    },
  };
  try {
    if (config.run.webhook) {
      const app = await buildWebhookApp({ ...common, limits: config.webhook.limits, alipay: deps.alipay });
      running.webhook = await listen(app, config.webhook);
    }
    if (config.run.api) {
      if (!deps.keys) throw new ConfigError('API_KEYS_FILE', 'required to run the API listener');
      const app = await buildApiApp({
        ...common,
        limits: config.api.limits,
        packets: deps.packets,
        orders: deps.orders,
        keys: deps.keys,
        codecOpenOnLoopback: isLoopbackHost(config.api.host) && !config.trustProxy,
        settings: deps.settings,
        codec: deps.codec,
      });
      running.api = await listen(app, config.api);
      if (deps.packetCounts)
        running.packetCounts = watchPacketCounts(deps.temporal, metrics, deps.packetCounts);
    }
  } catch (error) {
    await running.close();
    throw error;
  }
  return running;
}
