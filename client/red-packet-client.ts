// The typed client for services that prefer code to HTTP; the HTTP server uses it too.
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { formatFen } from '../alipay/money';
import { hasGrpcStatus } from './grpc-status';
import { startOnce } from './start-once';
import type { RedPacketLifecycle } from '../workflows/red-packet-lifecycle';
import {
  AUTH_NO,
  claimBatchUpdate,
  claimUpdate,
  closeNowSignal,
  fundingSettledUpdate,
  RED_PACKET_STATUS,
  retryRefundSignal,
  stateQuery,
  WORKFLOW_TYPE,
  workflowIdFor,
  type ClaimOutcome,
  type ClaimRefusalReason,
  type ClaimRequest,
  type FundingReference,
  type RedPacketInput,
  type RedPacketState,
  type RedPacketStatus,
} from '../workflows/messages';

/** The same auth_no was started with a different request. */
export class RedPacketConflictError extends Error {
  override name = 'RedPacketConflictError';
}

export interface CreateResult {
  workflowId: string;
  /** false when this exact request had already started the packet. */
  created: boolean;
  /**
   * Where the packet stands once its funding is settled: OPEN (or later), REJECTED, or still
   * VERIFYING_FUNDING when Alipay did not answer within the wait.
   */
  status: RedPacketStatus;
}

/** The packet's workflow ended without a result (terminated, failed, timed out): see the UI. */
export class RedPacketEndedError extends Error {
  override name = 'RedPacketEndedError';
}

/** A finished packet's status: its result's, or an error when it ended without one. */
async function finalStatus(
  handle: WorkflowHandle<typeof RedPacketLifecycle>,
  authNo: string,
): Promise<RedPacketStatus> {
  try {
    return (await handle.result()).status;
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    throw new RedPacketEndedError(
      `red packet ${authNo}'s workflow ended without completing (${error.message})`,
    );
  }
}

/** The registration names no pay to verify, or names it twice, or malformed. */
export class FundingReferenceError extends Error {
  override name = 'FundingReferenceError';
}

const REQUEST_NO = /^[0-9A-Za-z_-]{1,64}$/;

function checkFunding(funding: FundingReference | undefined): void {
  const named = funding ? Object.keys(funding) : [];
  if (named.length !== 1 || !['payOperationId', 'payOutRequestNo'].includes(named[0]!))
    throw new FundingReferenceError(
      'name the pay to verify: exactly one of payOperationId or payOutRequestNo',
    );
  const value = Object.values(funding!)[0] as unknown;
  if (typeof value !== 'string' || !REQUEST_NO.test(value))
    throw new FundingReferenceError(`${named[0]} must be 1 to 64 letters, digits, _ or -`);
}

/** How long createRedPacket waits for Alipay to confirm the funding before answering. */
export const FUNDING_WAIT_MS = 10_000;

const REFUSAL_REASONS: readonly ClaimRefusalReason[] = [
  'PACKET_NOT_OPEN',
  'SHARES_EXHAUSTED',
  'AMOUNT_REQUIRED',
  'AMOUNT_NOT_ALLOWED',
  'AMOUNT_OUT_OF_RANGE',
  'PAYEE_REQUIRED',
  'INVALID_CLAIM_ID',
];

function summary(input: RedPacketInput): string {
  const shares = input.shares === undefined ? 'unlimited shares' : `${input.shares} shares`;
  return `Red packet ${input.authNo}: ${formatFen(input.totalFen)} yuan, ${shares}, ${input.split} split, expires ${input.expiresAt}`;
}

/**
 * The workflow has finished (or never existed: then the error stands). A repeated claimId still
 * gets its first result, read from the workflow's final state; a new claim is refused.
 */
async function claimOnClosedPacket(
  handle: WorkflowHandle<typeof RedPacketLifecycle>,
  request: ClaimRequest,
  notFound: WorkflowNotFoundError,
): Promise<ClaimOutcome> {
  const description = await handle.describe().catch(() => undefined);
  if (!description) throw notFound;
  const final = description.status.name === 'COMPLETED' ? await handle.result() : undefined;
  const earlier = final?.claims.find((claim) => claim.claimId === request.claimId);
  if (final && earlier) {
    return {
      accepted: true,
      claimId: earlier.claimId,
      status: earlier.status,
      amountFen: earlier.amountFen,
      remainingFen: final.remainingFen,
    };
  }
  return { accepted: false, claimId: request.claimId, reason: 'PACKET_NOT_OPEN' };
}

export type RedPacketClient = ReturnType<typeof createRedPacketClient>;

export function createRedPacketClient(temporal: Client, taskQueue: string) {
  const handleFor = (authNo: string): WorkflowHandle<typeof RedPacketLifecycle> =>
    temporal.workflow.getHandle<typeof RedPacketLifecycle>(workflowIdFor(authNo));

  /** The packet's status once its funding is settled, waiting at most `waitMs` for Alipay. */
  const fundingStatus = async (authNo: string, waitMs: number): Promise<RedPacketStatus> => {
    const handle = handleFor(authNo);
    try {
      return await temporal.withDeadline(Date.now() + waitMs, () =>
        handle.executeUpdate(fundingSettledUpdate),
      );
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError && error.cause?.message === 'FUNDING_SETTLED')
        return (await handle.query(stateQuery)).status;
      if (error instanceof WorkflowNotFoundError) return finalStatus(handle, authNo);
      if (
        error instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
        hasGrpcStatus(error, 4, /DEADLINE_EXCEEDED|deadline exceeded/i)
      )
        return 'VERIFYING_FUNDING';
      throw error;
    }
  };

  return {
    /**
     * Starts the packet's lifecycle once. `fingerprint` identifies the request (by default the
     * input): the same request again is answered as created before, a different one is a conflict.
     */
    async createRedPacket(
      input: RedPacketInput,
      fingerprint = JSON.stringify(input),
      fundingWaitMs = FUNDING_WAIT_MS,
    ): Promise<CreateResult> {
      checkFunding(input.funding);
      const workflowId = workflowIdFor(input.authNo);
      const created = await startOnce(
        temporal,
        WORKFLOW_TYPE,
        {
          taskQueue,
          workflowId,
          args: [input],
          typedSearchAttributes: [
            { key: AUTH_NO, value: input.authNo },
            { key: RED_PACKET_STATUS, value: 'VERIFYING_FUNDING' },
          ],
          staticSummary: summary(input),
        },
        fingerprint,
        () =>
          new RedPacketConflictError(
            `red packet ${input.authNo} was already created with a different request`,
          ),
      );
      return { workflowId, created, status: await fundingStatus(input.authNo, fundingWaitMs) };
    },

    /** Submits a claim; a refusal is an outcome (with its reason), not an error. */
    async claim(authNo: string, request: ClaimRequest): Promise<ClaimOutcome> {
      const handle = handleFor(authNo);
      try {
        return await handle.executeUpdate(claimUpdate, { args: [request] });
      } catch (error) {
        const reason = error instanceof WorkflowUpdateFailedError ? error.cause?.message : undefined;
        const known = REFUSAL_REASONS.find((candidate) => candidate === reason);
        if (known) return { accepted: false, claimId: request.claimId, reason: known };
        if (error instanceof WorkflowNotFoundError) return claimOnClosedPacket(handle, request, error);
        throw error;
      }
    },

    /** Several claims in one update (see claimBatchUpdate); outcomes in the order given. */
    async claimMany(authNo: string, requests: ClaimRequest[]): Promise<ClaimOutcome[]> {
      const handle = handleFor(authNo);
      try {
        return await handle.executeUpdate(claimBatchUpdate, { args: [requests] });
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError && error.cause?.message === 'PACKET_NOT_OPEN')
          return requests.map((request) => ({
            accepted: false,
            claimId: request.claimId,
            reason: 'PACKET_NOT_OPEN',
          }));
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        return Promise.all(requests.map((request) => claimOnClosedPacket(handle, request, error)));
      }
    },

    getState(authNo: string): Promise<RedPacketState> {
      return handleFor(authNo).query(stateQuery);
    },

    closeNow(authNo: string): Promise<void> {
      return handleFor(authNo).signal(closeNowSignal);
    },

    retryRefund(authNo: string): Promise<void> {
      return handleFor(authNo).signal(retryRefundSignal);
    },

    handle: handleFor,
  };
}
