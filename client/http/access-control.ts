// Who may call what on the service API, decided in one place. Every route declares its access in
// `config.access`; this hook reads it before the body is parsed, so a refused request costs a
// hash and changes nothing. A route that declares nothing is refused (fail closed).
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRecord, Scope } from '../api-keys';
import type { ApiKeyLookup } from './api-key-store';

/** `public`: no key (health, CORS preflight); `any-key`: any live key (metrics); else a scope. */
export type Access = Scope | 'public' | 'any-key';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    apiKey?: ApiKeyRecord;
  }
}

export interface AccessControlOptions {
  keys: ApiKeyLookup;
  /**
   * The listener is bound to loopback only: then a loopback caller may use the codec without a
   * key (the Temporal UI in a browser on the same machine cannot send one).
   */
  codecOpenOnLoopback: boolean;
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host.toLowerCase() === '::ffff:127.0.0.1';
}

/** The peer of the TCP connection, never a forwarded header. */
function isLoopbackPeer(request: FastifyRequest): boolean {
  const address = request.socket.remoteAddress ?? '';
  return isLoopbackHost(address.replace(/^::ffff:(?=127\.)/, ''));
}

const BEARER = /^Bearer ([!-~]{1,200})$/;

function unauthorized(reply: FastifyReply, error: string, challenge: string): FastifyReply {
  return reply.code(401).header('www-authenticate', challenge).send({ error });
}

export function registerAccessControl(app: FastifyInstance, options: AccessControlOptions): void {
  app.decorateRequest('apiKey', undefined);
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return;
    const access = request.routeOptions.config.access;
    if (access === undefined) {
      request.log.error({ route: request.routeOptions.url }, 'route declares no access; refused');
      return reply.code(500).send({ error: 'internal error; the request may be retried' });
    }
    if (access === 'public') return;
    if (access === 'codec' && options.codecOpenOnLoopback && isLoopbackPeer(request)) return;

    const header = request.headers.authorization;
    if (header === undefined)
      return unauthorized(
        reply,
        'an API key is required: Authorization: Bearer <token>',
        'Bearer realm="red-packets"',
      );
    const token = BEARER.exec(header)?.[1];
    const key = token === undefined ? undefined : options.keys.authenticate(token);
    if (!key)
      return unauthorized(
        reply,
        'unknown or revoked API key',
        'Bearer realm="red-packets", error="invalid_token"',
      );
    request.apiKey = key;
    if (access !== 'any-key' && !key.scopes.includes(access)) {
      return reply.code(403).send({ error: `this API key lacks the scope ${access}`, scope: access });
    }
  });
}
