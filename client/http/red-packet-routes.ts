// The service API: create a packet, claim from it, read it, close it. Routes validate and call
// the typed client, nothing else.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { formatFen } from '../../alipay/money';
import { MAX_STATE_CLAIMS, workflowIdFor } from '../../workflows/messages';
import { ClaimGateFullError } from '../claim-gate';
import { ClaimCursorError } from '../packet-reads';
import { RedPacketConflictError, RedPacketEndedError, type RedPacketClient } from '../red-packet-client';
import { HttpError } from './errors';
import { secondsSince, type Metrics } from './metrics';
import {
  createFingerprints,
  toClaimRequest,
  toRedPacketInput,
  type ClaimBody,
  type CreateBody,
  type DeploymentSettings,
} from './red-packet-requests';
import { authNoParams, claimBody, claimsQuery, createBody, type ClaimsQuery } from './schemas';
import { stateResponse } from './state-response';

export interface RedPacketRouteDeps {
  packets: RedPacketClient;
  metrics: Metrics;
  settings: DeploymentSettings;
  now?: () => Date;
}

type AuthNoParams = { authNo: string };

function notFound(authNo: string): HttpError {
  return new HttpError(404, `no red packet ${authNo}`, 'authNo');
}

async function orNotFound<T>(authNo: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw notFound(authNo);
    throw error;
  }
}

export function registerRedPacketRoutes(app: FastifyInstance, deps: RedPacketRouteDeps): void {
  const { packets, metrics } = deps;

  app.post<{ Body: CreateBody }>(
    '/red-packets',
    { schema: { body: createBody }, config: { access: 'packets:create' } },
    async (request, reply) => {
      const input = toRedPacketInput(request.body, deps.now?.() ?? new Date(), deps.settings);
      try {
        const { workflowId, created, status } = await packets.createRedPacket(
          input,
          createFingerprints(request.body, input),
        );
        if (status === 'REJECTED') {
          const { rejection } = await packets.getState(input.authNo);
          return reply.code(422).send({
            error: `funding not verified: ${rejection?.detail ?? 'see the packet'}; no money moved`,
            reason: rejection?.reason,
            workflowId,
          });
        }
        return reply.code(created ? 201 : 200).send({ workflowId, authNo: input.authNo, status });
      } catch (error) {
        if (error instanceof RedPacketConflictError || error instanceof RedPacketEndedError)
          throw new HttpError(409, error.message, 'authNo');
        throw error;
      }
    },
  );

  app.post<{ Params: AuthNoParams; Body: ClaimBody }>(
    '/red-packets/:authNo/claims',
    { schema: { params: authNoParams, body: claimBody }, config: { access: 'packets:claim' } },
    async (request, reply) => {
      const { authNo } = request.params;
      const claim = toClaimRequest(request.body);
      const started = process.hrtime.bigint();
      let outcome;
      // Every claim is timed, the ones that got no answer too: they are the slowest.
      let result = 'error';
      try {
        outcome = await orNotFound(authNo, () => packets.claim(authNo, claim));
        result = outcome.accepted ? 'accepted' : outcome.reason;
      } catch (error) {
        if (error instanceof HttpError && error.statusCode === 404) result = 'not_found';
        if (!(error instanceof ClaimGateFullError)) throw error;
        result = 'unavailable';
        return reply.code(503).header('retry-after', '1').send({ error: error.message });
      } finally {
        metrics.claims.inc({ result });
        metrics.claimSeconds.observe({ result }, secondsSince(started));
      }
      if (!outcome.accepted)
        return reply.code(409).send({ error: `claim refused: ${outcome.reason}`, reason: outcome.reason });
      return {
        claimId: outcome.claimId,
        status: outcome.status,
        amount: formatFen(outcome.amountFen),
        remaining: formatFen(outcome.remainingFen),
      };
    },
  );

  app.get<{ Params: AuthNoParams; Querystring: ClaimsQuery }>(
    '/red-packets/:authNo',
    {
      schema: { params: authNoParams, querystring: claimsQuery },
      config: { access: 'packets:read' },
    },
    async (request) => {
      const { authNo } = request.params;
      const limit = request.query.limit === undefined ? undefined : Number(request.query.limit);
      if (limit !== undefined && limit > MAX_STATE_CLAIMS)
        throw new HttpError(400, `limit must be from 1 to ${MAX_STATE_CLAIMS}`, 'limit');
      try {
        const { state, nextCursor } = await orNotFound(authNo, () =>
          packets.readClaims(authNo, { cursor: request.query.cursor, limit }),
        );
        return { ...stateResponse(state), nextCursor };
      } catch (error) {
        if (error instanceof ClaimCursorError) throw new HttpError(400, error.message, 'cursor');
        throw error;
      }
    },
  );

  app.post<{ Params: AuthNoParams }>(
    '/red-packets/:authNo/refund',
    { schema: { params: authNoParams }, config: { access: 'packets:close' } },
    async (request, reply) => {
      const { authNo } = request.params;
      await orNotFound(authNo, () => packets.closeNow(authNo));
      return reply.code(202).send({ workflowId: workflowIdFor(authNo), authNo, status: 'CLOSING' });
    },
  );
}
