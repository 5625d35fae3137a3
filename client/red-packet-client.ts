// The typed client for services that prefer code to HTTP; the HTTP server uses it too.
import { randomUUID } from 'node:crypto';
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  QueryNotRegisteredError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { formatFen } from '../alipay/money';
import { ClaimGate, ClaimGateFullError, ClaimUpdateLostError } from './claim-gate';
import { hasGrpcStatus } from './grpc-status';
import { checkClaimRequest, checkRedPacketInput } from './input-rules';
import { createPacketReads, normalizeState, type PacketReading } from './packet-reads';
import { startOnce } from './start-once';
import type { RedPacketLifecycle } from '../workflows/red-packet-lifecycle';
import {
  AUTH_NO,
  claimAnswersQuery,
  claimBatchUpdate,
  MAX_CLAIM_BATCH,
  closeNowSignal,
  fundingSettledUpdate,
  MAX_STATE_CLAIMS,
  NOTHING_TO_ACCEPT,
  PACKET_REFUSALS,
  RED_PACKET_STATUS,
  retryRefundSignal,
  stateQuery,
  TRACED_MEMO,
  WORKFLOW_TYPE,
  workflowIdFor,
  type ClaimOutcome,
  type ClaimRefusalReason,
  type ClaimRequest,
  type FundingReference,
  type RedPacketInput,
  type RedPacketStatus,
  type StatePage,
} from '../workflows/messages';
import { requestTagFor } from '../workflows/request-numbers';

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

function summary(input: RedPacketInput): string {
  const shares = input.shares === undefined ? 'unlimited shares' : `${input.shares} shares`;
  return `Red packet ${input.authNo}: ${formatFen(input.totalFen)} yuan, ${shares}, ${input.split} split, expires ${input.expiresAt}`;
}

/**
 * A packet turned a batch away, recording nothing. Repeats still get their first answer (or
 * CLAIM_ID_CONFLICT), read by query; new claims get `packetRefusal` (the validator's reason, true
 * when it ran) or, without one, the query's: a refusal, or null when the packet would take the
 * claim now.
 */
async function answersWithoutRecording(
  handle: WorkflowHandle<typeof RedPacketLifecycle>,
  requests: ClaimRequest[],
  packetRefusal: ClaimRefusalReason | undefined,
): Promise<Array<ClaimOutcome | null>> {
  let answers: Array<ClaimOutcome | null>;
  try {
    answers = await handle.query(claimAnswersQuery, requests);
  } catch (error) {
    if (!(error instanceof QueryNotRegisteredError && /register/i.test(error.message))) throw error;
    // A packet begun before this query existed. While it runs it turns a batch away only when
    // none is a repeat; once completed, its result lists every claim it took.
    const { status } = await handle.describe();
    const final = status.name === 'COMPLETED' ? normalizeState(await handle.result()) : undefined;
    answers = requests.map((request): ClaimOutcome | null => {
      const earlier = final?.claims.find((claim) => claim.claimId === request.claimId);
      if (!earlier) return null;
      return {
        accepted: true,
        claimId: earlier.claimId,
        status: earlier.status,
        amountFen: earlier.amountFen,
        remainingFen: final!.remainingFen,
      };
    });
  }
  return answers.map((answer, index) => {
    const repeat = answer && (answer.accepted || answer.reason === 'CLAIM_ID_CONFLICT');
    if (repeat || !packetRefusal) return answer;
    return { accepted: false, claimId: requests[index]!.claimId, reason: packetRefusal };
  });
}

/** The SDK's rejection of an update the workflow has no handler for (yet). */
const NO_CLAIM_HANDLER = 'No registered handler for update';

/** How often claims the packet would now take are sent again before the caller is told to retry. */
const RESENDS = 3;

export type RedPacketClient = ReturnType<typeof createRedPacketClient>;

/** `traced`: packets it starts trace their workflow code for life (workflows/tracing-interceptors.ts). */
export function createRedPacketClient(
  temporal: Client,
  taskQueue: string,
  options: { traced?: boolean } = {},
) {
  const handleFor = (authNo: string): WorkflowHandle<typeof RedPacketLifecycle> =>
    temporal.workflow.getHandle<typeof RedPacketLifecycle>(workflowIdFor(authNo));
  const reads = createPacketReads(temporal);

  const claimMany = async (authNo: string, requests: ClaimRequest[], resent = 0): Promise<ClaimOutcome[]> => {
    const handle = handleFor(authNo);
    let answers: Array<ClaimOutcome | null>;
    try {
      return await handle.executeUpdate(claimBatchUpdate, { args: [requests] });
    } catch (error) {
      const reason = error instanceof WorkflowUpdateFailedError ? error.cause?.message : undefined;
      const packetRefusal = PACKET_REFUSALS.find((candidate) => candidate === reason);
      // Not open (yet): a new packet takes claims once it has opened; the query says which it is.
      if (packetRefusal || reason === NOTHING_TO_ACCEPT || reason?.startsWith(NO_CLAIM_HANDLER))
        answers = await answersWithoutRecording(handle, requests, packetRefusal);
      else if (error instanceof WorkflowNotFoundError) {
        const running = await handle.describe().then(
          (description) => description.status.name === 'RUNNING',
          () => undefined,
        );
        if (running === undefined) throw error;
        // Temporal lost the update (it restarted before the packet took it): the batch is sent
        // again; a claim it had taken already gets its first answer.
        if (running)
          throw new ClaimUpdateLostError(`the claim update to ${authNo} was lost; sending it again`);
        answers = await answersWithoutRecording(handle, requests, 'PACKET_NOT_OPEN');
      } else throw error;
    }
    // The packet changed since its validator ran (a failed payout freed a share): send those again.
    const again = requests.filter((_, index) => answers[index] === null);
    if (again.length === 0) return answers as ClaimOutcome[];
    if (resent >= RESENDS)
      throw new ClaimGateFullError('the packet kept changing while answering; retry shortly');
    const outcomes = (await claimMany(authNo, again, resent + 1)).values();
    return answers.map((answer) => answer ?? outcomes.next().value!);
  };
  const gate = new ClaimGate(claimMany);

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
      fingerprint: string | readonly string[] = JSON.stringify(input),
      fundingWaitMs = FUNDING_WAIT_MS,
    ): Promise<CreateResult> {
      checkRedPacketInput(input);
      checkFunding(input.funding);
      const workflowId = workflowIdFor(input.authNo);
      const created = await startOnce(
        temporal,
        WORKFLOW_TYPE,
        {
          taskQueue,
          workflowId,
          // A fresh tag per start; a repeated create finds the first start's (start-once.ts).
          args: [{ ...input, requestTag: requestTagFor(randomUUID()) }],
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
        options.traced ? { [TRACED_MEMO]: true } : {},
      );
      return { workflowId, created, status: await fundingStatus(input.authNo, fundingWaitMs) };
    },

    /**
     * Submits a claim; a refusal is an outcome (with its reason), not an error. Concurrent claims
     * on one packet are coalesced into claimBatch updates (claim-gate.ts). Throws
     * ClaimGateFullError when too many claims wait (nothing was recorded: retry shortly).
     */
    async claim(authNo: string, request: ClaimRequest): Promise<ClaimOutcome> {
      checkClaimRequest(request);
      return gate.claim(authNo, request);
    },

    /** Several claims (at most 100) in one update (see claimBatchUpdate); outcomes in the order given. */
    async claimMany(authNo: string, requests: ClaimRequest[]): Promise<ClaimOutcome[]> {
      if (requests.length === 0 || requests.length > MAX_CLAIM_BATCH)
        throw new RangeError(`claimMany takes 1 to ${MAX_CLAIM_BATCH} claims, not ${requests.length}`);
      requests.forEach(checkClaimRequest);
      return claimMany(authNo, requests);
    },

    /** The packet's totals and up to `page.limit` (1,000) of the claims it holds. */
    getState(authNo: string, page: StatePage = {}): Promise<PacketReading> {
      return reads.readState(authNo, page.afterSeq ?? 0, page.limit ?? MAX_STATE_CLAIMS);
    },

    /** Totals and a page of claims; follow `nextCursor` to reach every claim (packet-reads.ts). */
    readClaims: reads.readClaims,

    closeNow(authNo: string): Promise<void> {
      return handleFor(authNo).signal(closeNowSignal);
    },

    retryRefund(authNo: string): Promise<void> {
      return handleFor(authNo).signal(retryRefundSignal);
    },

    handle: handleFor,
  };
}
