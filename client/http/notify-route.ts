// POST /alipay/notify (form body) and GET /alipay/notify (query string). `success` only when the
// notification is durably with its workflow; `fail` otherwise, so Alipay retries.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseFormEncoded } from '../../alipay/notify';
import { handleAlipayNotification, type NotifyDeps } from '../alipay-notify';
import type { Metrics } from './metrics';

const STATUS = {
  delivered: 200,
  'already-completed': 200,
  rejected: 400,
  'unknown-packet': 404,
  'temporal-unavailable': 503,
} as const;

export function registerNotifyRoute(app: FastifyInstance, deps: NotifyDeps & { metrics: Metrics }): void {
  const unknownLogged = new Set<string>();

  const handle = async (raw: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    let params: Record<string, string>;
    try {
      params = parseFormEncoded(raw);
    } catch {
      deps.metrics.notifications.inc({ outcome: 'malformed' });
      return reply.code(400).type('text/plain').send('fail');
    }
    const outcome = await handleAlipayNotification(deps, params);
    deps.metrics.notifications.inc({ outcome: outcome.kind });
    if (outcome.kind === 'rejected')
      request.log.warn({ reason: outcome.reason }, 'alipay notification rejected');
    if (outcome.kind === 'temporal-unavailable')
      request.log.error({ error: outcome.error }, 'alipay notification not delivered');
    if (outcome.kind === 'unknown-packet' && !unknownLogged.has(outcome.notification.notifyId)) {
      unknownLogged.add(outcome.notification.notifyId);
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

  app.post('/alipay/notify', async (request, reply) => {
    if (!request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      deps.metrics.notifications.inc({ outcome: 'malformed' });
      return reply.code(415).type('text/plain').send('fail');
    }
    return handle(typeof request.body === 'string' ? request.body : '', request, reply);
  });
  app.get('/alipay/notify', async (request, reply) =>
    handle(request.raw.url?.split('?')[1] ?? '', request, reply),
  );
}
