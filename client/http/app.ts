import Fastify, { type FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';

export interface AppDeps {
  temporal: Client;
  logger?: boolean;
}

/** The HTTP application; server.ts owns the process concerns (listen, shutdown). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 64 * 1024 });

  app.get('/healthz', async (_request, reply) => {
    try {
      await deps.temporal.connection.workflowService.getSystemInfo({});
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', error: 'Temporal is unreachable' });
    }
  });

  return app;
}
