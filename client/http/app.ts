// The two HTTP applications, one per listener (DESIGN.md section 8):
// - the service API, for the merchant's services with API keys: /red-packets..., /metrics,
//   /codec/*, /healthz;
// - the Alipay webhook, public in production: /alipay/notify and /healthz, nothing else.
import type { KeyObject } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import type { ListenerLimits } from '../../config/env';
import type { OrderClient } from '../order-client';
import type { RedPacketClient } from '../red-packet-client';
import { registerAccessControl } from './access-control';
import type { ApiKeyLookup } from './api-key-store';
import { registerCodecRoutes } from './codec-route';
import { createMetrics, METRICS_CONTENT_TYPE, renderMetrics, type Metrics } from './metrics';
import { registerNotifyRoute } from './notify-route';
import { registerOrderRoutes } from './order-routes';
import type { DeploymentSettings } from './red-packet-requests';
import { registerRedPacketRoutes } from './red-packet-routes';
import { createServerBase, type LoggerOption } from './server-base';

interface CommonDeps {
  temporal: Client;
  /** Shared by both listeners of a process: the API's /metrics shows the webhook's counters too. */
  metrics?: Metrics;
  logger?: LoggerOption;
  /** A span per request (tracing on). */
  tracing?: boolean;
  limits?: Partial<ListenerLimits>;
  trustProxy?: string;
}

export interface ApiAppDeps extends CommonDeps {
  packets: RedPacketClient;
  orders: OrderClient;
  keys: ApiKeyLookup;
  /** True when the listener is bound to loopback: the codec then answers loopback callers without a key. */
  codecOpenOnLoopback: boolean;
  /** Per-deployment values every new packet gets (notify URL, refund notification wait). */
  settings?: DeploymentSettings;
  /** With payload encryption on: the codec behind /codec/encode and /codec/decode. */
  codec?: { codec: PayloadCodec; allowedOrigin: string };
  now?: () => Date;
}

export interface WebhookAppDeps extends CommonDeps {
  /** Who may notify us: our app id and Alipay's public key. */
  alipay: { appId: string; alipayPublicKey: KeyObject };
}

export async function buildApiApp(deps: ApiAppDeps): Promise<FastifyInstance> {
  const metrics = deps.metrics ?? createMetrics();
  const app = await createServerBase({
    ...deps,
    metrics,
    errorBody: 'json',
    rateLimitKey: (request) => (request.apiKey ? `key:${request.apiKey.id}` : `ip:${request.ip}`),
  });
  registerAccessControl(app, { keys: deps.keys, codecOpenOnLoopback: deps.codecOpenOnLoopback });
  app.get('/metrics', { config: { access: 'any-key' } }, async (_request, reply) =>
    reply.type(METRICS_CONTENT_TYPE).send(await renderMetrics(metrics)),
  );
  registerRedPacketRoutes(app, {
    packets: deps.packets,
    metrics,
    settings: deps.settings ?? {},
    now: deps.now,
  });
  registerOrderRoutes(app, { orders: deps.orders, settings: deps.settings ?? {}, now: deps.now });
  if (deps.codec) registerCodecRoutes(app, deps.codec);
  return app;
}

export async function buildWebhookApp(deps: WebhookAppDeps): Promise<FastifyInstance> {
  const metrics = deps.metrics ?? createMetrics();
  const app = await createServerBase({
    ...deps,
    metrics,
    errorBody: 'alipay',
    rateLimitKey: (request) => request.ip,
  });
  // Alipay posts form bodies; the notify route verifies them from the raw text.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, body),
  );
  registerNotifyRoute(app, { temporal: deps.temporal, ...deps.alipay, metrics });
  return app;
}
