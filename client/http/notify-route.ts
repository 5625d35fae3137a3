// POST /alipay/notify (form body) and GET /alipay/notify (query string). `success` only when the
// notification is durably with its workflow; `fail` otherwise, so Alipay retries.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseFormEncoded } from '../../alipay/notify';
import { handleAlipayNotification, type NotifyDeps } from '../alipay-notify';
import { BoundedIdSet } from './bounded-id-set';
import { secondsSince, type Metrics } from './metrics';

const STATUS = {
  delivered: 200,
  'already-completed': 200,
  'workflow-ended': 500,
  rejected: 400,
  'unknown-packet': 404,
  'temporal-unavailable': 503,
} as const;

/** Notify ids already logged as unknown; the oldest is forgotten past this many (logged again at worst). */
const UNKNOWN_LOGGED_MAX = 10_000;

export function registerNotifyRoute(app: FastifyInstance, deps: NotifyDeps & { metrics: Metrics }): void {
  const unknownLogged = new BoundedIdSet(UNKNOWN_LOGGED_MAX);

  const handle = async (raw: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    let params: Record<string, string>;
    try {
      params = parseFormEncoded(raw);
    } catch {
      deps.metrics.notifications.inc({ outcome: 'malformed' });
      return reply.code(400).type('text/plain').send('fail');
    }
    const started = process.hrtime.bigint();
    const outcome = await handleAlipayNotification(deps, params);
    deps.metrics.notifications.inc({ outcome: outcome.kind });
    deps.metrics.notificationSeconds.observe({ outcome: outcome.kind }, secondsSince(started));
    if (outcome.kind === 'rejected')
      request.log.warn({ reason: outcome.reason }, 'alipay notification rejected');
    if (outcome.kind === 'temporal-unavailable')
      request.log.error({ error: outcome.error }, 'alipay notification not delivered');
    if (outcome.kind === 'workflow-ended')
      request.log.error(
        { workflowId: outcome.workflowId, status: outcome.status, notifyId: params.notify_id },
        'alipay notification for a packet whose workflow ended without completing: not acknowledged; an operator must look',
      );
    if (outcome.kind === 'unknown-packet' && unknownLogged.add(outcome.notification.notifyId)) {
      request.log.warn(
        { notifyId: outcome.notification.notifyId, authNo: outcome.notification.authNo },
        'verified alipay notification for an unknown red packet; not acknowledged',
      );
    }
    const status = STATUS[outcome.kind];
    return reply
      .code(status)
      .type('text/plain')
      .send(status === 200 ? 'success' : 'fail');
  };

  // Alipay authenticates by signature: the route is open, the handler verifies every request.
  const config = { access: 'public' } as const;
  app.post('/alipay/notify', { config }, async (request, reply) => {
    if (!request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      deps.metrics.notifications.inc({ outcome: 'malformed' });
      return reply.code(415).type('text/plain').send('fail');
    }
    return handle(typeof request.body === 'string' ? request.body : '', request, reply);
  });
  app.get('/alipay/notify', { config }, async (request, reply) =>
    handle(request.raw.url?.split('?')[1] ?? '', request, reply),
  );
}
