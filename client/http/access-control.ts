// Who may call what on the service API, decided in one place. Every route declares its access in
// `config.access`; the hooks here read it before the body is parsed, so a refused request costs a
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
   * The listener is bound to loopback only and trusts no proxy: then a caller on this machine may
   * use the codec without a key (the Temporal UI in a browser here cannot send one).
   */
  codecOpenOnLoopback: boolean;
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host.toLowerCase() === '::ffff:127.0.0.1';
}

/**
 * A caller on this machine talking to us directly: the TCP peer is loopback, no proxy says it
 * forwards someone else, and the Host is a loopback name (a DNS-rebound page sends its own name).
 */
function isDirectLoopbackCaller(request: FastifyRequest): boolean {
  const peer = (request.socket.remoteAddress ?? '').replace(/^::ffff:(?=127\.)/, '');
  const headers = request.headers;
  if (
    headers['x-forwarded-for'] !== undefined ||
    headers.forwarded !== undefined ||
    headers['x-real-ip'] !== undefined
  )
    return false;
  const host = (headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return isLoopbackHost(peer) && isLoopbackHost(host);
}

const BEARER = /^bearer +([!-~]{1,200})$/i;

function unauthorized(reply: FastifyReply, error: string, challenge: string): FastifyReply {
  return reply.code(401).header('www-authenticate', challenge).send({ error });
}

/**
 * Two steps around the rate limit: `onRequest` finds the key (so the limit counts per key, and per
 * address for anyone without one), the rate limit runs next, then `preParsing` decides, before any
 * body is read. A refused request changes nothing.
 */
export function registerAccessControl(app: FastifyInstance, options: AccessControlOptions): void {
  app.decorateRequest('apiKey', undefined);
  app.addHook('onRequest', async (request) => {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (token !== undefined) request.apiKey = options.keys.authenticate(token);
  });
  app.addHook('preParsing', async (request, reply, payload) => {
    if (request.is404) return payload;
    const access = request.routeOptions.config.access;
    if (access === undefined) {
      request.log.error({ route: request.routeOptions.url }, 'route declares no access; refused');
      return reply.code(500).send({ error: 'internal error; the request may be retried' });
    }
    if (access === 'public') return payload;
    if (access === 'codec' && options.codecOpenOnLoopback && isDirectLoopbackCaller(request)) return payload;

    const key = request.apiKey;
    if (request.headers.authorization === undefined)
      return unauthorized(
        reply,
        'an API key is required: Authorization: Bearer <token>',
        'Bearer realm="red-packets"',
      );
    if (!key)
      return unauthorized(
        reply,
        'unknown or revoked API key',
        'Bearer realm="red-packets", error="invalid_token"',
      );
    if (access !== 'any-key' && !key.scopes.includes(access)) {
      return reply.code(403).send({ error: `this API key lacks the scope ${access}`, scope: access });
    }
    return payload;
  });
}
