// Temporal limits the updates in flight per workflow (10 by default). A burst of claims on one
// hot packet is coalesced here: at most a few updates per packet are in flight, each carrying
// every claim that queued meanwhile (up to MAX_CLAIM_BATCH). Callers never see the limit; a
// RESOURCE_EXHAUSTED that still gets through (several servers, one packet) is retried.
import { setTimeout as sleep } from 'node:timers/promises';
import { hasGrpcStatus } from '../grpc-status';
import { MAX_CLAIM_BATCH, type ClaimOutcome, type ClaimRequest } from '../../workflows/messages';

export const IN_FLIGHT_PER_PACKET = 8;
/** Claims waiting in one process, across packets; past it a claim is refused at once (retryable). */
export const MAX_WAITING_CLAIMS = 20_000;
const RETRIES = 8;

export class ClaimGateFullError extends Error {
  constructor(max: number) {
    super(`more than ${max} claims are waiting in this server; retry shortly`);
    this.name = 'ClaimGateFullError';
  }
}

export function isResourceExhausted(error: unknown): boolean {
  return hasGrpcStatus(error, 8, /RESOURCE_EXHAUSTED|in-flight update/i);
}

interface Waiting {
  request: ClaimRequest;
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
    if (this.waiting >= this.maxWaiting) return Promise.reject(new ClaimGateFullError(this.maxWaiting));
    return new Promise((resolve, reject) => {
      const packet = this.packets.get(authNo) ?? { inFlight: 0, queue: [] };
      this.packets.set(authNo, packet);
      packet.queue.push({ request, resolve, reject });
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
      void withRetries(() =>
        this.submitBatch(
          authNo,
          batch.map((waiting) => waiting.request),
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
      if (attempt >= RETRIES || !isResourceExhausted(error)) throw error;
      await sleep(20 * 2 ** attempt * (0.5 + Math.random()));
    }
  }
}
