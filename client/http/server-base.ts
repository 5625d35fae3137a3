// What both listeners share: timeouts that cut slow clients, a rate limit, one access line per
// request, request metrics, the error shape and /healthz. The process concerns (listening,
// shutdown) belong to whoever starts it.
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Client } from '@temporalio/client';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from '../../config/env';
import { InvalidInputError } from '../input-rules';
import { HttpError } from './errors';
import { findDuplicateKey } from './strict-json';
import type { Metrics } from './metrics';

const BODY_LIMIT_BYTES = 64 * 1024;
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Node's default (511) drops connections in a burst of claims; the kernel caps what it grants. */
export const LISTEN_BACKLOG = 4096;
/** Open connections per listener; past it new ones are closed at once (file descriptors are finite). */
const MAX_CONNECTIONS = 10_000;

/** `true` logs to stdout; a stream receives the JSON lines instead (tests read them). */
export type LoggerOption = boolean | { stream: { write(line: string): void } };

export interface ServerBaseOptions {
  temporal: Client;
  metrics: Metrics;
  logger?: LoggerOption;
  limits?: Partial<ListenerLimits>;
  /** Addresses or CIDRs of proxies whose X-Forwarded-For names the client (for the rate limit). */
  trustProxy?: string;
  /** Whose requests share a rate limit bucket. */
  rateLimitKey: (request: FastifyRequest) => string;
  /** How a 4xx/5xx is written: the API's JSON, or Alipay's plain `fail`. */
  errorBody: 'json' | 'alipay';
  /** Each request a span (tracing/setup.ts on), its trace id in every log line of the request. */
  tracing?: boolean;
}

/**
 * Runs every route's handler inside a server span named by its route template, so the Temporal
 * client's and Alipay's spans below it join the request's trace, and its log lines carry the trace
 * id. The span ends with the response (its status is the one sent, errors included) or the abort.
 */
function traceRoutes(app: FastifyInstance): void {
  const tracer = trace.getTracer('red-packets-http');
  const spans = new WeakMap<FastifyRequest, Span>();
  const end = (request: FastifyRequest, status?: number): void => {
    const span = spans.get(request);
    if (!span) return;
    spans.delete(request);
    if (status !== undefined) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    const name = `${route.method.toString()} ${route.url}`;
    route.handler = function traced(this: FastifyInstance, request, reply) {
      const span = tracer.startSpan(name, {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': route.url },
      });
      spans.set(request, span);
      request.log = request.log.child({ traceId: span.spanContext().traceId });
      reply.log = request.log;
      return context.with(trace.setSpan(context.active(), span), () => handler.call(this, request, reply));
    };
  });
  app.addHook('onResponse', async (request, reply) => end(request, reply.statusCode));
  app.addHook('onRequestAbort', async (request) => end(request));
}

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
 * completed): the same facts for half the writes on the webhook's hot path. Pino's request
 * serializer writes method, url, host and peer: never a header, so no API key reaches a log.
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

export async function createServerBase(options: ServerBaseOptions): Promise<FastifyInstance> {
  const limits = { ...DEFAULT_LISTENER_LIMITS, ...options.limits };
  const app = Fastify({
    logger: options.logger ?? false,
    logController: new OneLineAccessLog(),
    bodyLimit: BODY_LIMIT_BYTES,
    // A request must arrive whole within the limit (a body trickled byte by byte is cut), its
    // headers sooner; Node checks both on this interval.
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.requestTimeoutMs * 2,
    // An idle keep-alive connection is closed after this (Fastify's default, 72 s, lets one request
    // per socket hold a descriptor for over a minute).
    keepAliveTimeout: 5000,
    exposeHeadRoutes: false,
    http: {
      headersTimeout: Math.min(10_000, limits.requestTimeoutMs),
      connectionsCheckingInterval: 1000,
    },
    trustProxy: options.trustProxy ?? false,
    // Money and ids arrive exactly as typed: no coercion of 1 into "1", no silent dropping of fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });

  if (options.tracing) traceRoutes(app);

  // Fastify's own parser (it refuses __proto__ and constructor keys), then no key twice.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    parseJson(request, text, (error, parsed) => {
      if (error) return done(error, undefined);
      const duplicate = findDuplicateKey(text);
      if (duplicate !== undefined)
        return done(new HttpError(400, `${duplicate} appears twice in the body`, duplicate), undefined);
      done(null, parsed);
    });
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = String(reply.statusCode);
    options.metrics.httpRequests.inc({ route, status });
    // Methods from a fixed set: anything else is counted as OTHER.
    const method = KNOWN_METHODS.has(request.method) ? request.method : 'OTHER';
    options.metrics.httpRequestSeconds.observe({ route, method, status }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((thrown: FastifyError, request, reply) => {
    // The typed client's own input rules, reached through a route: the caller's request is at fault.
    const cause: unknown = thrown;
    const error: FastifyError | HttpError =
      cause instanceof InvalidInputError ? new HttpError(400, cause.message, cause.field) : thrown;
    const status = error instanceof HttpError ? error.statusCode : (error.statusCode ?? 500);
    if (status >= 500) request.log.error(error);
    if (options.errorBody === 'alipay') return reply.code(status).type('text/plain').send('fail');
    if (status >= 500) {
      return reply
        .code(status === 503 ? 503 : 500)
        .send({ error: 'internal error; the request may be retried' });
    }
    const field = error instanceof HttpError ? error.field : fieldOf(error);
    const message =
      !(error instanceof HttpError) && error.validation && field
        ? `${field}: ${error.message.replace(/^(body|params)\/?\S* /, '')}`
        : error.message;
    return reply.code(status).send(field ? { error: message, field } : { error: message });
  });

  // Applied to the routes registered after it, after the hooks that find the caller's key and
  // before any decision or body: refused and unknown requests count against the limit too.
  await app.register(rateLimit, {
    max: limits.ratePerSecond,
    timeWindow: 1000,
    hook: 'onRequest',
    cache: 10_000,
    keyGenerator: options.rateLimitKey,
    errorResponseBuilder: (_request, context) =>
      new HttpError(
        429,
        `rate limit exceeded: at most ${context.max} requests a second; retry in ${context.after}`,
      ),
  });

  app.setNotFoundHandler({ preValidation: app.rateLimit() }, (request, reply) =>
    options.errorBody === 'alipay'
      ? reply.code(404).type('text/plain').send('fail')
      : reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  // Anonymous callers may ask as often as they like; Temporal is asked at most once a second.
  let health: { at: number; ok: Promise<boolean> } | undefined;
  const temporalAnswers = (): Promise<boolean> => {
    if (!health || Date.now() - health.at > 1000) {
      health = {
        at: Date.now(),
        ok: options.temporal.connection.workflowService.getSystemInfo({}).then(
          () => true,
          () => false,
        ),
      };
    }
    return health.ok;
  };
  app.get('/healthz', { config: { access: 'public' } }, async (_request, reply) =>
    (await temporalAnswers())
      ? { status: 'ok' }
      : reply.code(503).send({ status: 'unavailable', error: 'Temporal is unreachable' }),
  );
  app.server.maxConnections = MAX_CONNECTIONS;
  return app;
}
