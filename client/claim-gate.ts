// Temporal limits the updates in flight per workflow (10 by default). A burst of claims on one
// hot packet is coalesced here, in the typed client, for code and HTTP callers alike: at most a
// few updates per packet are in flight, each carrying every claim that queued meanwhile (up to
// MAX_CLAIM_BATCH). Callers never see the limit: a RESOURCE_EXHAUSTED that still gets through
// (several processes, one packet) and a PACKET_BUSY (payouts behind) are retried with backoff.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, type Context } from '@opentelemetry/api';
import { hasGrpcStatus } from './grpc-status';
import { MAX_CLAIM_BATCH, PACKET_BUSY, type ClaimOutcome, type ClaimRequest } from '../workflows/messages';

export const IN_FLIGHT_PER_PACKET = 8;
/** Claims waiting in one process, across packets; past it a claim is refused at once (retryable). */
export const MAX_WAITING_CLAIMS = 20_000;
/** About 9 seconds of retries in all (20 ms doubling, at most 2 s apart). */
const RETRIES = 10;

/** Too many claims wait, in this process or at the packet: nothing was recorded; retry shortly. */
export class ClaimGateFullError extends Error {
  override name = 'ClaimGateFullError';
}

export function isResourceExhausted(error: unknown): boolean {
  return hasGrpcStatus(error, 8, /RESOURCE_EXHAUSTED|in-flight update/i);
}

/**
 * The workflow task that held the update failed (continue-as-new racing new claims is the usual
 * cause): nothing was recorded. Claims are idempotent by claimId, so sending them again is safe.
 */
function isLostWithWorkflowTask(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (/unexpected workflow task failure/i.test(current.message)) return true;
  }
  return false;
}

/** A running packet's claim update went missing at Temporal: nothing was answered; send it again. */
export class ClaimUpdateLostError extends Error {
  override name = 'ClaimUpdateLostError';
}

/**
 * Temporal gave up waiting for a worker (a query, or an update, on a busy worker): nothing of ours
 * failed, and the claims are idempotent by claimId, so they are sent again.
 */
function isDeadlineExceeded(error: unknown): boolean {
  return hasGrpcStatus(error, 4, /DEADLINE_EXCEEDED/);
}

function isPacketBusy(error: unknown): boolean {
  return error instanceof WorkflowUpdateFailedError && error.cause?.message === PACKET_BUSY;
}

interface Waiting {
  request: ClaimRequest;
  /** The caller's trace context: a batch is sent in its first claim's (not whoever pumped it). */
  context: Context;
  resolve(outcome: ClaimOutcome): void;
  reject(error: unknown): void;
}

export type SubmitBatch = (authNo: string, requests: ClaimRequest[]) => Promise<ClaimOutcome[]>;

export class ClaimGate {
  private readonly packets = new Map<string, { inFlight: number; queue: Waiting[] }>();
  private waiting = 0;

  constructor(
    private readonly submitBatch: SubmitBatch,
    private readonly maxWaiting = MAX_WAITING_CLAIMS,
  ) {}

  claim(authNo: string, request: ClaimRequest): Promise<ClaimOutcome> {
    if (this.waiting >= this.maxWaiting)
      return Promise.reject(
        new ClaimGateFullError(
          `more than ${this.maxWaiting} claims are waiting in this process; retry shortly`,
        ),
      );
    return new Promise((resolve, reject) => {
      const packet = this.packets.get(authNo) ?? { inFlight: 0, queue: [] };
      this.packets.set(authNo, packet);
      packet.queue.push({ request, context: context.active(), resolve, reject });
      this.waiting += 1;
      this.pump(authNo);
    });
  }

  private pump(authNo: string): void {
    const packet = this.packets.get(authNo);
    if (!packet) return;
    while (packet.inFlight < IN_FLIGHT_PER_PACKET && packet.queue.length > 0) {
      const batch = packet.queue.splice(0, MAX_CLAIM_BATCH);
      packet.inFlight += 1;
      void context
        .with(batch[0]!.context, () =>
          withRetries(() =>
            this.submitBatch(
              authNo,
              batch.map((waiting) => waiting.request),
            ),
          ),
        )
        .then(
          (outcomes) => batch.forEach((waiting, index) => waiting.resolve(outcomes[index]!)),
          (error: unknown) => batch.forEach((waiting) => waiting.reject(error)),
        )
        .finally(() => {
          packet.inFlight -= 1;
          this.waiting -= batch.length;
          if (packet.inFlight === 0 && packet.queue.length === 0) this.packets.delete(authNo);
          else this.pump(authNo);
        });
    }
  }
}

async function withRetries<T>(task: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      const busy = isPacketBusy(error);
      const lost =
        error instanceof ClaimUpdateLostError || isLostWithWorkflowTask(error) || isDeadlineExceeded(error);
      if (!busy && !isResourceExhausted(error) && !lost) throw error;
      if (attempt >= RETRIES)
        throw busy
          ? new ClaimGateFullError('the packet holds too many unpaid claims for now; retry shortly')
          : lost
            ? new ClaimGateFullError('the packet did not answer the claims in time; retry shortly')
            : error;
      await sleep(Math.min(2000, 20 * 2 ** attempt) * (0.5 + Math.random()));
    }
  }
}
