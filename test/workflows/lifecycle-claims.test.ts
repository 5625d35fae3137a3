// RedPacketLifecycle's claims on the shared dev server, with the sandbox gateway and the webhook.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { startLifecycleEnv, type LifecycleEnv } from '../helpers/lifecycle-env';
import { allClaims } from '../helpers/claims';
import { expectConserved } from '../helpers/conservation';
import { createRedPacketClient } from '../../client/red-packet-client';
import { billableActions, recordHistory } from '../helpers/history';
import type { RedPacketState } from '../../workflows/messages';
import { temporal as proto } from '@temporalio/proto';

let temporal: DevServerHandles;
let env: LifecycleEnv;

beforeAll(async () => {
  temporal = await connectToDevServer();
  env = await startLifecycleEnv(temporal.client, temporal.nativeConnection);
});
afterAll(async () => {
  await env?.close();
  await temporal?.close();
});

const payee = (i: number) => ({ payeeUserId: `2088${String(i).padStart(12, '0')}` });
const result = (authNo: string) => env.packets.handle(authNo).result() as Promise<RedPacketState>;

describe('split modes', () => {
  it('fixed: equal shares, the rest refunded at expiry, completed on the refund notification', async () => {
    // Ten seconds: far more than two claims take on a loaded machine; the expiry is what is tested.
    const { authNo } = await env.fundAndStart({ totalFen: 1000, split: 'fixed', shares: 3, ttlMs: 10_000 });
    expect(await env.packets.claim(authNo, { claimId: 'a', ...payee(1) })).toMatchObject({
      accepted: true,
      amountFen: 333,
    });
    expect(await env.packets.claim(authNo, { claimId: 'b', ...payee(2) })).toMatchObject({
      accepted: true,
      amountFen: 333,
      remainingFen: 334,
    });
    const final = await result(authNo);
    expect(final.status).toBe('COMPLETED');
    expect(final.refund).toMatchObject({ amountFen: 334, status: 'SUCCESS', source: 'MERCHANT' });
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-fixed-split-expiry-refund', env.packets.handle(authNo));
  });

  it('random: a fully claimed packet completes without a refund; every share >= 0.01, the sum exact', async () => {
    const { authNo } = await env.fundAndStart({ totalFen: 2000, split: 'random', shares: 10, ttlMs: 60_000 });
    const amounts: number[] = [];
    for (let i = 0; i < 10; i++) {
      const outcome = await env.packets.claim(authNo, { claimId: `r${i}`, ...payee(i) });
      if (!outcome.accepted) throw new Error(outcome.reason);
      amounts.push(outcome.amountFen);
    }
    expect(Math.min(...amounts)).toBeGreaterThanOrEqual(1);
    expect(amounts.reduce((sum, amount) => sum + amount, 0)).toBe(2000);
    const final = await result(authNo);
    expect(final).toMatchObject({ status: 'COMPLETED', refund: null, refundedFen: 0 });
    expectConserved(final, env.sandbox);
    const requests = env.sandbox.gateway.requests.filter((request) => request.method.endsWith('.refund'));
    expect(requests.filter((request) => request.outRequestNo?.includes(authNo))).toHaveLength(0);
    await recordHistory('bounded-random-split-fully-claimed', env.packets.handle(authNo));
  });

  it('claimant: amounts as asked, refusals with reasons, closed early by the merchant', async () => {
    const { authNo } = await env.fundAndStart({ totalFen: 500, split: 'claimant', ttlMs: 60_000 });
    expect(await env.packets.claim(authNo, { claimId: 'x', ...payee(1), amountFen: 120 })).toMatchObject({
      accepted: true,
      amountFen: 120,
      remainingFen: 380,
    });
    const refusals = await Promise.all([
      env.packets.claim(authNo, { claimId: 'over', ...payee(2), amountFen: 381 }),
      env.packets.claim(authNo, { claimId: 'zero', ...payee(3), amountFen: 0 }),
      env.packets.claim(authNo, { claimId: 'negative', ...payee(4), amountFen: -100 }),
      env.packets.claim(authNo, { claimId: 'none', ...payee(5) }),
      env.packets.claim(authNo, { claimId: 'nobody', amountFen: 10 }),
    ]);
    expect(refusals.map((outcome) => (outcome.accepted ? 'accepted' : outcome.reason))).toEqual([
      'AMOUNT_OUT_OF_RANGE',
      'AMOUNT_OUT_OF_RANGE',
      'AMOUNT_OUT_OF_RANGE',
      'AMOUNT_REQUIRED',
      'PAYEE_REQUIRED',
    ]);
    await env.packets.closeNow(authNo);
    const final = await result(authNo);
    expect(final.refund).toMatchObject({ amountFen: 380, status: 'SUCCESS' });
    expect(await env.packets.claim(authNo, { claimId: 'late', ...payee(6), amountFen: 1 })).toMatchObject({
      accepted: false,
      reason: 'PACKET_NOT_OPEN',
    });
    expectConserved(final, env.sandbox);
  });
});

describe('claims', () => {
  it('200 concurrent claims on a 100-share packet: exactly 100 accepted, none paid twice', async () => {
    const { authNo } = await env.fundAndStart({
      totalFen: 100_00,
      split: 'random',
      shares: 100,
      ttlMs: 120_000,
    });
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => env.packets.claim(authNo, { claimId: `c${i}`, ...payee(i) })),
    );
    const accepted = outcomes.filter((outcome) => outcome.accepted);
    expect(accepted).toHaveLength(100);
    expect(
      outcomes
        .filter((outcome) => !outcome.accepted)
        .every(
          (outcome) => !outcome.accepted && ['SHARES_EXHAUSTED', 'PACKET_NOT_OPEN'].includes(outcome.reason),
        ),
    ).toBe(true);
    const final = await result(authNo);
    expect(final).toMatchObject({ status: 'COMPLETED', refund: null, claimCount: 100 });
    expect(final.claims).toHaveLength(100);
    // The typed client coalesced them: far fewer updates than claims reached the workflow.
    const updates = billableActions(await env.packets.handle(authNo).fetchHistory()).byKind.update ?? 0;
    expect(updates).toBeGreaterThan(0);
    expect(updates).toBeLessThan(50);
    expectConserved(final, env.sandbox);
  });

  it('two processes claiming the same 150 claimIds on a 100-share packet agree on every answer', async () => {
    const { authNo } = await env.fundAndStart({
      totalFen: 100_00,
      split: 'random',
      shares: 100,
      ttlMs: 120_000,
    });
    // Two typed clients, each with its own claim gate, as two HTTP servers would have.
    const other = createRedPacketClient(env.temporal, env.taskQueue);
    const requests = Array.from({ length: 150 }, (_, i) => ({ claimId: `x${i}`, ...payee(i) }));
    const [mine, theirs] = await Promise.all([
      Promise.all(requests.map((request) => env.packets.claim(authNo, request))),
      Promise.all(requests.map((request) => other.claim(authNo, request))),
    ]);
    const accepted = mine.filter((outcome) => outcome.accepted);
    expect(accepted).toHaveLength(100);
    mine.forEach((outcome, i) => {
      const twin = theirs[i]!;
      expect(twin.accepted, outcome.claimId).toBe(outcome.accepted);
      if (outcome.accepted && twin.accepted) expect(twin.amountFen).toBe(outcome.amountFen);
    });
    const final = await result(authNo);
    expect(final).toMatchObject({ status: 'COMPLETED', claimCount: 100, paidCount: 100 });
    expectConserved(final, env.sandbox);
  });

  it('a repeated claimId returns the first result and changes nothing; shares and state are enforced', async () => {
    const { authNo } = await env.fundAndStart({ totalFen: 300, split: 'fixed', shares: 2, ttlMs: 60_000 });
    const first = await env.packets.claim(authNo, { claimId: 'same', ...payee(1) });
    const again = await env.packets.claim(authNo, { claimId: 'same', ...payee(1) });
    expect(again).toMatchObject({
      accepted: true,
      claimId: 'same',
      amountFen: first.accepted ? first.amountFen : -1,
    });
    const state = await env.packets.getState(authNo);
    expect(state.claims).toHaveLength(1);
    expect(state.remainingFen).toBe(150);
    expect(await env.packets.claim(authNo, { claimId: 'second', ...payee(2) })).toMatchObject({
      accepted: true,
      amountFen: 150,
    });
    // Both shares are taken: the packet completes with nothing to refund.
    const final = await result(authNo);
    expect(final.refund).toBeNull();
    expect(await env.packets.claim(authNo, { claimId: 'third', ...payee(3) })).toMatchObject({
      accepted: false,
      reason: 'PACKET_NOT_OPEN',
    });
    // After completion the first result is still the answer for the same claimId.
    expect(await env.packets.claim(authNo, { claimId: 'same', ...payee(1) })).toMatchObject({
      accepted: true,
      status: 'PAID',
      amountFen: 150,
    });
    expectConserved(final, env.sandbox);
  });

  it('refuses a claim beyond shares while the packet is still open', async () => {
    const { authNo } = await env.fundAndStart({
      totalFen: 1000,
      split: 'claimant',
      shares: 1,
      ttlMs: 60_000,
    });
    expect(await env.packets.claim(authNo, { claimId: 'one', ...payee(1), amountFen: 10 })).toMatchObject({
      accepted: true,
    });
    expect(await env.packets.claim(authNo, { claimId: 'two', ...payee(2), amountFen: 10 })).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/SHARES_EXHAUSTED|PACKET_NOT_OPEN/),
    });
    const final = await result(authNo);
    expect(final.refund).toMatchObject({ amountFen: 990, status: 'SUCCESS' });
    expectConserved(final, env.sandbox);
  });
});

describe('long-lived packets', () => {
  it('continues as new, keeping the ledger and the notification dedup set', async () => {
    const { authNo } = await env.fundAndStart({
      totalFen: 10_000,
      split: 'claimant',
      ttlMs: 60_000,
      continueAsNewAfterEvents: 40,
    });
    const handle = env.packets.handle(authNo);
    const { alipayNotifySignal } = await import('../../workflows/messages');
    const payNotice = { notifyType: 'trade_status_sync', notifyId: 'pay-notice-1', authNo, amount: 10_000 };
    await handle.signal(alipayNotifySignal, payNotice);
    for (let i = 0; i < 24; i++) {
      const outcome = await env.packets.claim(authNo, { claimId: `k${i}`, ...payee(i), amountFen: 100 + i });
      expect(outcome.accepted).toBe(true);
    }
    await handle.signal(alipayNotifySignal, payNotice); // the same notify_id again, in a later run
    // Repeats in a later run are answered from the carried index.
    expect(await env.packets.claim(authNo, { claimId: 'k3', ...payee(3), amountFen: 103 })).toMatchObject({
      accepted: true,
      amountFen: 103,
    });
    expect(await env.packets.claim(authNo, { claimId: 'k3', ...payee(3), amountFen: 999 })).toMatchObject({
      accepted: false,
      reason: 'CLAIM_ID_CONFLICT',
    });
    expect(await env.packets.claim(authNo, { claimId: 'k99', ...payee(3), amountFen: 1 })).toMatchObject({
      accepted: false,
      reason: 'PAYEE_ALREADY_CLAIMED',
    });
    await env.packets.closeNow(authNo);
    const final = await result(authNo);
    const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(started?.continuedExecutionRunId).toBeTruthy(); // this run was continued from an earlier one
    const claims = await allClaims(env.packets, authNo, 7);
    expect(claims.map((claim) => claim.claimId).sort()).toEqual(
      Array.from({ length: 24 }, (_, i) => `k${i}`).sort(),
    );
    expect(claims.every((claim) => claim.status === 'PAID')).toBe(true);
    expect(final.claimPages).toBeGreaterThan(0); // settled claims were archived, not carried
    expect(final.ignoredNotifications.filter((notice) => notice.notifyId === 'pay-notice-1')).toHaveLength(1);
    expect(final.refund?.amountFen).toBe(10_000 - claims.reduce((sum, claim) => sum + claim.amountFen, 0));
    expectConserved(final, env.sandbox);
  });
});

describe('cost', () => {
  // 2k + 5 of DESIGN.md section 7, plus four for the funding check (its query activity, the
  // creator's fundingSettled update, the patch marker's TemporalChangeVersion upsert, the
  // RedPacketStatus upsert to OPEN), plus one TemporalChangeVersion upsert for the request tag's
  // patch marker (a history begun before the tag must keep its numbers: it is worth an action),
  // plus at most one timer for the refund notification's wait when the notification comes after
  // the refund's answer (both orders happen).
  it('a lifecycle with 10 claims bills at most 2k + 11 actions', async () => {
    const k = 10;
    // Fifteen seconds for ten claims: closed by its expiry, so no close signal adds to the bill.
    const { authNo } = await env.fundAndStart({ totalFen: 5000, split: 'fixed', shares: 20, ttlMs: 15_000 });
    for (let i = 0; i < k; i++) await env.packets.claim(authNo, { claimId: `cost${i}`, ...payee(i) });
    const final = await result(authNo);
    expect(final.refund?.status).toBe('SUCCESS');
    const history = await env.packets.handle(authNo).fetchHistory();
    const actions = billableActions(history);
    console.log(`billable actions for k=${k}: ${actions.total}`, actions.byKind);
    expect(actions.byKind.update).toBe(k + 1);
    expect(actions.byKind['activity attempt']).toBeGreaterThanOrEqual(k + 2);
    expect(actions.total).toBeLessThanOrEqual(2 * k + 11);
    expect(actions.byKind.timer).toBeLessThanOrEqual(2);
    expect(
      history.events?.some(
        (event) => event.eventType === proto.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED,
      ),
    ).toBe(true);
    await recordHistory('bounded-ten-claims-cost', env.packets.handle(authNo));
  });
});
