// The typed client's coalescing of claims (client/claim-gate.ts), on its own: batches, the
// in-flight limit per packet, retries, and a failed batch failing only its own claims.
import { context, createContextKey } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { describe, expect, it } from 'vitest';
import {
  ClaimGate,
  ClaimGateFullError,
  ClaimUpdateLostError,
  IN_FLIGHT_PER_PACKET,
  type SubmitBatch,
} from '../../client/claim-gate';
import { MAX_CLAIM_BATCH, type ClaimOutcome, type ClaimRequest } from '../../workflows/messages';

const accept = (request: ClaimRequest): ClaimOutcome => ({
  accepted: true,
  claimId: request.claimId,
  status: 'PENDING',
  amountFen: 1,
  remainingFen: 0,
});
const claims = (count: number, prefix = 'c'): ClaimRequest[] =>
  Array.from({ length: count }, (_, index) => ({
    claimId: `${prefix}${index}`,
    payeeUserId: '2088000000000001',
  }));

/** A submitBatch whose batches wait until the test lets them go, recording what it was sent. */
function heldSubmitter() {
  const batches: Array<{ authNo: string; requests: ClaimRequest[]; release(): void }> = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const submit: SubmitBatch = (authNo, requests) =>
    new Promise((resolve) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      batches.push({
        authNo,
        requests,
        release: () => {
          inFlight -= 1;
          resolve(requests.map(accept));
        },
      });
    });
  return { submit, batches, mostInFlight: () => mostInFlight };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ClaimGate', () => {
  it(`keeps at most ${IN_FLIGHT_PER_PACKET} batches in flight per packet, each of at most ${MAX_CLAIM_BATCH} claims, and answers every claim with its own outcome`, async () => {
    const held = heldSubmitter();
    const gate = new ClaimGate(held.submit);
    const requests = claims(1000);
    const outcomes = requests.map((request) => gate.claim('P', request));
    await settle();
    expect(held.batches).toHaveLength(IN_FLIGHT_PER_PACKET);
    // Release batches as they come until every claim is through.
    for (let released = 0; released < held.batches.length; released++) {
      held.batches[released]!.release();
      await settle();
    }
    const answered = await Promise.all(outcomes);
    expect(answered.map((outcome) => outcome.claimId)).toEqual(requests.map((request) => request.claimId));
    expect(held.mostInFlight()).toBe(IN_FLIGHT_PER_PACKET);
    expect(Math.max(...held.batches.map((batch) => batch.requests.length))).toBe(MAX_CLAIM_BATCH);
    expect(held.batches.flatMap((batch) => batch.requests)).toHaveLength(1000);
  });

  it('coalesces per packet: another packet’s claims are never held behind a full one', async () => {
    const held = heldSubmitter();
    const gate = new ClaimGate(held.submit);
    for (const request of claims(50)) void gate.claim('HOT', request);
    const other = gate.claim('QUIET', { claimId: 'q', payeeUserId: '2088000000000002' });
    await settle();
    const quiet = held.batches.find((batch) => batch.authNo === 'QUIET');
    expect(quiet?.requests.map((request) => request.claimId)).toEqual(['q']);
    quiet!.release();
    expect(await other).toMatchObject({ claimId: 'q', accepted: true });
  });

  it('sends a batch again after RESOURCE_EXHAUSTED, a lost update or a query no worker answered in time, and answers it', async () => {
    const sent: string[][] = [];
    const failures = [
      Object.assign(new Error('too many in-flight updates'), { code: 8 }),
      new ClaimUpdateLostError('lost'),
      // A busy worker: the claimAnswers query timed out at Temporal (claims are idempotent by claimId).
      new Error('Failed to query Workflow', {
        cause: Object.assign(
          new Error('4 DEADLINE_EXCEEDED: query timed out before a worker could process it'),
          {
            code: 4,
          },
        ),
      }),
    ];
    const gate = new ClaimGate(async (_authNo, requests) => {
      sent.push(requests.map((request) => request.claimId));
      const failure = failures.shift();
      if (failure) throw failure;
      return requests.map(accept);
    });
    expect(await gate.claim('P', { claimId: 'again', payeeUserId: '2088000000000001' })).toMatchObject({
      accepted: true,
      claimId: 'again',
    });
    expect(sent).toEqual([['again'], ['again'], ['again'], ['again']]);
  });

  it('a batch that fails for good rejects only its own claims', async () => {
    const gate = new ClaimGate(async (_authNo, requests) => {
      if (requests.some((request) => request.claimId === 'doomed')) throw new Error('Temporal refused it');
      return requests.map(accept);
    });
    const doomed = gate.claim('P', { claimId: 'doomed', payeeUserId: '2088000000000001' });
    const fine = gate.claim('P', { claimId: 'fine', payeeUserId: '2088000000000002' });
    await expect(doomed).rejects.toThrow('Temporal refused it');
    expect(await fine).toMatchObject({ claimId: 'fine', accepted: true });
  });

  it('refuses at once, recording nothing, when too many claims wait in the process', async () => {
    const held = heldSubmitter();
    const gate = new ClaimGate(held.submit, 3);
    const waiting = claims(3).map((request) => gate.claim('P', request));
    await expect(
      gate.claim('P', { claimId: 'one-too-many', payeeUserId: '2088000000000009' }),
    ).rejects.toThrow(ClaimGateFullError);
    await settle();
    expect(held.batches.flatMap((batch) => batch.requests.map((request) => request.claimId))).not.toContain(
      'one-too-many',
    );
    held.batches.forEach((batch) => batch.release());
    await Promise.all(waiting);
  });

  it("sends a queued batch in its first claim's trace context, not in that of the batch that freed its place", async () => {
    // As tracing/setup.ts registers it when tracing is on.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const caller = createContextKey('caller');
    const seen: unknown[] = [];
    const held = heldSubmitter();
    const gate = new ClaimGate((authNo, requests) => {
      seen.push(context.active().getValue(caller));
      return held.submit(authNo, requests);
    });
    const asCaller = (name: string, request: ClaimRequest) =>
      context.with(context.active().setValue(caller, name), () => gate.claim('P', request));
    const first = claims(IN_FLIGHT_PER_PACKET, 'f').map((request, index) =>
      asCaller(`first-${index}`, request),
    );
    await settle();
    const queued = asCaller('queued', { claimId: 'q', payeeUserId: '2088000000000009' });
    await settle();
    expect(seen).toHaveLength(IN_FLIGHT_PER_PACKET);
    held.batches[0]!.release();
    await settle();
    await settle();
    expect(seen).toHaveLength(IN_FLIGHT_PER_PACKET + 1);
    expect(seen.at(-1)).toBe('queued');
    held.batches.slice(1).forEach((batch) => batch.release());
    await Promise.all([...first, queued]);
    context.disable();
  });
});
