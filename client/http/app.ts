// The HTTP application: service API, Alipay notify webhook, health and metrics. The process
// concerns (listening, shutdown) belong to whoever starts it.
import type { KeyObject } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { RedPacketClient } from '../red-packet-client';
import { HttpError } from './errors';
import { createMetrics, renderMetrics, type Metrics } from './metrics';
import { registerCodecRoutes } from './codec-route';
import { registerNotifyRoute } from './notify-route';
import type { DeploymentSettings } from './red-packet-requests';
import { registerRedPacketRoutes } from './red-packet-routes';

export interface AppDeps {
  temporal: Client;
  packets: RedPacketClient;
  /** Who may notify us: our app id and Alipay's public key. */
  alipay: { appId: string; alipayPublicKey: KeyObject };
  /** Per-deployment values every new packet gets (notify URL, refund notification wait). */
  settings?: DeploymentSettings;
  metrics?: Metrics;
  /** With payload encryption on: the codec behind /codec/encode and /codec/decode. */
  codec?: { codec: PayloadCodec; allowedOrigin: string };
  logger?: boolean;
  now?: () => Date;
}

export const BODY_LIMIT_BYTES = 64 * 1024;
/** Node's default (511) drops connections in a burst of claims; the kernel caps what it grants. */
export const LISTEN_BACKLOG = 4096;

function fieldOf(error: FastifyError): string | undefined {
  const first = error.validation?.[0];
  if (!first) return undefined;
  const params = first.params as { missingProperty?: string; additionalProperty?: string };
  return (
    params.missingProperty ??
    params.additionalProperty ??
    (first.instancePath.replace(/^\//, '') || undefined)
  );
}

/**
 * One access line per request, written when it completes, instead of Fastify's two (incoming and
 * completed): the same facts for half the writes on the webhook's hot path.
 */
class OneLineAccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const metrics = deps.metrics ?? createMetrics();
  const app = Fastify({
    logger: deps.logger ?? false,
    logController: new OneLineAccessLog(),
    bodyLimit: BODY_LIMIT_BYTES,
    // Money and ids arrive exactly as typed: no coercion of 1 into "1", no silent dropping of fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });

  // Alipay posts form bodies; the notify route verifies them from the raw text.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, body),
  );

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error instanceof HttpError ? error.statusCode : (error.statusCode ?? 500);
    if (request.url.startsWith('/alipay/notify')) return reply.code(status).type('text/plain').send('fail');
    if (status >= 500) {
      request.log.error(error);
      return reply
        .code(status === 503 ? 503 : 500)
        .send({ error: 'internal error; the request may be retried' });
    }
    const field = error instanceof HttpError ? error.field : fieldOf(error);
    const message =
      error.validation && field
        ? `${field}: ${error.message.replace(/^(body|params)\/?\S* /, '')}`
        : error.message;
    return reply.code(status).send(field ? { error: message, field } : { error: message });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  app.get('/healthz', async (_request, reply) => {
    try {
      await deps.temporal.connection.workflowService.getSystemInfo({});
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', error: 'Temporal is unreachable' });
    }
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type('text/plain; version=0.0.4').send(renderMetrics(metrics)),
  );

  registerRedPacketRoutes(app, {
    packets: deps.packets,
    metrics,
    settings: deps.settings ?? {},
    now: deps.now,
  });
  registerNotifyRoute(app, { temporal: deps.temporal, ...deps.alipay, metrics });
  if (deps.codec) registerCodecRoutes(app, deps.codec);
  return app;
}
