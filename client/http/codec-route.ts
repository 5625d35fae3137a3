// The codec endpoint the Temporal UI (and CLI) call to show encrypted payloads in clear:
// POST /codec/encode and /codec/decode with {payloads: [{metadata, data}]} (base64 bytes).
import type { PayloadCodec, Payload } from '@temporalio/common';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from './errors';

export interface CodecRouteOptions {
  codec: PayloadCodec;
  /** The Temporal UI's origin, allowed to call from the browser. */
  allowedOrigin: string;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function fromJson(payload: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
    data: Buffer.from(payload.data ?? '', 'base64'),
  };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [
        key,
        Buffer.from(value ?? []).toString('base64'),
      ]),
    ),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}

// The Temporal CLI sends `{}` for a call without arguments: no `payloads` is an empty list.
const body = {
  type: 'object',
  properties: { payloads: { type: 'array', maxItems: 1000, items: { type: 'object' } } },
} as const;

export function registerCodecRoutes(app: FastifyInstance, options: CodecRouteOptions): void {
  const cors = (reply: FastifyReply): FastifyReply =>
    reply
      .header('access-control-allow-origin', options.allowedOrigin)
      .header('access-control-allow-credentials', 'true')
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'content-type, x-namespace, authorization')
      .header('vary', 'origin');

  for (const direction of ['encode', 'decode'] as const) {
    // A browser's preflight carries no credentials: it learns only which headers it may send.
    app.options(`/codec/${direction}`, { config: { access: 'public' } }, async (_request, reply) =>
      cors(reply).code(204).send(),
    );
    app.post<{ Body: { payloads?: JsonPayload[] } }>(
      `/codec/${direction}`,
      { schema: { body }, config: { access: 'codec' } },
      async (request, reply) => {
        cors(reply);
        let payloads: Payload[];
        try {
          payloads = await options.codec[direction]((request.body.payloads ?? []).map(fromJson));
        } catch (error) {
          throw new HttpError(
            400,
            `cannot ${direction}: ${error instanceof Error ? error.message : String(error)}`,
            'payloads',
          );
        }
        return { payloads: payloads.map(toJson) };
      },
    );
  }
}
