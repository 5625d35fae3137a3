// The branches that decide "paid or released" once Alipay's answers stop being simple: operations
// left INIT or CLOSED, calls unanswered until every retry ran out, queries refused, Alipay's own
// refund racing ours. On the time-skipping server (retry backoffs and rechecks skipped while a
// result is awaited) with the sandbox's faults.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { temporal } from '@temporalio/proto';
import { createTimeSkippingEnv } from '../harness/temporal';
import { eventually, startLifecycleEnv, type LifecycleEnv } from '../helpers/lifecycle-env';
import { expectConserved } from '../helpers/conservation';
import { recordHistory, runChain } from '../helpers/history';
import type { RedPacketState } from '../../workflows/messages';

const DISBURSE = 'alipay.fund.coupon.order.disburse';
const REFUND = 'alipay.fund.coupon.order.refund';
const QUERY = 'alipay.fund.coupon.operation.query';
const DAY_MS = 24 * 3_600_000;

let server: TestWorkflowEnvironment;
let env: LifecycleEnv;

beforeAll(async () => {
  server = await createTimeSkippingEnv();
  env = await startLifecycleEnv(server.client, server.nativeConnection);
});
afterEach(() => env.sandbox.faults.set({}));
afterAll(async () => {
  await env?.close();
  await server?.teardown();
});

/** How many activities of this type the workflow has scheduled (retries of one are not counted). */
const scheduled = (history: temporal.api.history.v1.IHistory, activityType: string): number =>
  (history.events ?? []).filter(
    (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activityType,
  ).length;

const requestsFor = (method: string, authNo: string) =>
  env.sandbox.gateway.requests.filter(
    (request) => request.method === method && request.outRequestNo?.includes(authNo) === true,
  );

/**
 * A 10.00 packet with one accepted claim of 3.00. `result()` awaits its end, and time skips while
 * it is awaited: never await it while the packet waits for an operator, or the test server skips
 * to the workflow's (10-year) timeout.
 */
async function packetWithClaim(
  ttlMs = DAY_MS,
  options: { refundNotifyWaitMs?: number; beforeClaim?: () => void } = {},
) {
  // The server's clock runs ahead of ours once a test has skipped time: expiry counts from it.
  const serverNow = new Date(await server.currentTimeMs());
  const { authNo } = await env.fundAndStart({
    totalFen: 1000,
    split: 'claimant',
    ttlMs,
    now: () => serverNow,
    // Alipay's own refund of the balance (30 days scaled by the sandbox: 43 minutes) never comes mid-test.
    alipayExpiry: '30d',
    refundNotifyWaitMs: options.refundNotifyWaitMs,
  });
  options.beforeClaim?.();
  expect(
    await env.packets.claim(authNo, { claimId: 'c1', payeeUserId: '2088000000000001', amountFen: 300 }),
  ).toMatchObject({ accepted: true, status: 'PENDING' });
  const result = () => env.packets.handle(authNo).result() as Promise<RedPacketState>;
  return { authNo, result };
}

describe('a payout Alipay leaves INIT', () => {
  it('is PAID once the operation ends SUCCESS, asked about under its own number until then', async () => {
    env.sandbox.faults.set({ methods: { [DISBURSE]: { pendingRate: 1, pendingMs: 3000 } } });
    const { authNo, result } = await packetWithClaim();
    const final = await result();
    expect(final).toMatchObject({
      status: 'COMPLETED',
      paidCount: 1,
      failedCount: 0,
      paidFen: 300,
      refundedFen: 700,
    });
    expect(requestsFor(DISBURSE, authNo).map((request) => request.outRequestNo)).toEqual([`RP${authNo}D1`]);
    // Asked about under its own number after it was sent (the funding check asks before).
    const sentAt = env.sandbox.gateway.requests
      .all()
      .findIndex((request) => request.method === DISBURSE && request.outRequestNo === `RP${authNo}D1`);
    expect(
      env.sandbox.gateway.requests
        .all()
        .slice(sentAt)
        .filter((request) => request.method === QUERY && request.outRequestNo === `RP${authNo}D1`).length,
    ).toBeGreaterThan(0);
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-payout-init-then-success', env.packets.handle(authNo));
  }, 120_000);

  it('is FAILED and its 3.00 released when the operation ends CLOSED: the refund returns all 10.00', async () => {
    env.sandbox.faults.set({
      methods: { [DISBURSE]: { pendingRate: 1, pendingMs: 3000, pendingOutcome: 'CLOSED' } },
    });
    const { authNo, result } = await packetWithClaim();
    const final = await result();
    expect(final).toMatchObject({
      status: 'COMPLETED',
      paidCount: 0,
      failedCount: 1,
      paidFen: 0,
      refundedFen: 1000,
    });
    expect(final.claims[0]).toMatchObject({
      status: 'FAILED',
      failure: expect.stringMatching(/closed by Alipay/i),
    });
    expect(env.sandbox.ledger.packet(authNo)).toMatchObject({ disbursed: 0, refunded: 1000, pending: 0 });
    expectConserved(final, env.sandbox);
  }, 120_000);
});

describe('a payout whose retries all went unanswered', () => {
  it('never applied: the same request is sent again after a recheck and paid once', async () => {
    env.sandbox.faults.set({ methods: { [DISBURSE]: { hangRate: 1 } } });
    const { authNo, result } = await packetWithClaim();
    const settled = result();
    // Ten attempts unanswered, then the recheck finds nothing and sends the same numbers again.
    await eventually(
      async () => requestsFor(DISBURSE, authNo).length,
      (sent) => sent > 10,
      90_000,
    );
    expect((await env.packets.getState(authNo)).claims[0]?.status).toBe('PENDING');
    env.sandbox.faults.set({});
    const final = await settled;
    expect(final).toMatchObject({
      status: 'COMPLETED',
      paidCount: 1,
      failedCount: 0,
      paidFen: 300,
      refundedFen: 700,
    });
    expect(new Set(requestsFor(DISBURSE, authNo).map((request) => request.outRequestNo))).toEqual(
      new Set([`RP${authNo}D1`]),
    );
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-payout-resent-after-retries', env.packets.handle(authNo));
  }, 180_000);

  it('never applied, then refused for good when sent again after its retries ran out: FAILED and its 3.00 released', async () => {
    env.sandbox.faults.set({ methods: { [DISBURSE]: { hangRate: 1 } } });
    const { authNo, result } = await packetWithClaim();
    const settled = result();
    // All ten attempts unanswered, a recheck found nothing: the payout is sent again as a new
    // disburse activity (its retries are not new events). Only that resend is refused.
    await eventually(
      async () => scheduled(await env.packets.handle(authNo).fetchHistory(), 'disburseClaim'),
      (count) => count >= 2,
      90_000,
    );
    env.sandbox.faults.set({
      methods: { [DISBURSE]: { refuseRate: 1, refuseSubCode: 'PAYEE_ACCOUNT_STATUS_ERROR' } },
    });
    const final = await settled;
    expect(final).toMatchObject({
      status: 'COMPLETED',
      paidCount: 0,
      failedCount: 1,
      paidFen: 0,
      refundedFen: 1000,
    });
    expect(final.claims[0]?.failure).toContain('PAYEE_ACCOUNT_STATUS_ERROR');
    // Decided by the run that resent it, not by a later run paying it afresh after continue-as-new.
    expect(await runChain(server.client, `red-packet-${authNo}`)).toHaveLength(1);
    expectConserved(final, env.sandbox);
  }, 180_000);

  it('while Alipay cannot be asked, keeps the claim PENDING and sends nothing new', async () => {
    // After the funding check (it asks too), before the claim.
    const { authNo, result } = await packetWithClaim(DAY_MS, {
      beforeClaim: () =>
        env.sandbox.faults.set({ methods: { [DISBURSE]: { hangRate: 1 }, [QUERY]: { systemErrorRate: 1 } } }),
    });
    const settled = result();
    // Several rechecks' worth of refused queries (ten attempts each).
    await eventually(
      async () => requestsFor(QUERY, authNo).length,
      (asked) => asked >= 35,
      90_000,
    );
    const waiting = await env.packets.getState(authNo);
    expect(waiting.claims[0]?.status).toBe('PENDING');
    // Each retry asks first and is refused before it sends: only the first attempt was sent.
    expect(requestsFor(DISBURSE, authNo)).toHaveLength(1);
    env.sandbox.faults.set({});
    const final = await settled;
    expect(final).toMatchObject({ status: 'COMPLETED', paidCount: 1, paidFen: 300, refundedFen: 700 });
    expectConserved(final, env.sandbox);
  }, 180_000);

  it('meets Alipay’s own timeout refund: the payout is refused as closed and the whole 10.00 is Alipay’s refund', async () => {
    env.sandbox.faults.set({ methods: { [DISBURSE]: { hangRate: 1 } } });
    const { authNo, result } = await packetWithClaim();
    await eventually(
      async () => requestsFor(DISBURSE, authNo).length,
      (sent) => sent >= 2,
      30_000,
    );
    const expired = await fetch(`${env.sandbox.url}/sandbox/packets/${authNo}/expire`, { method: 'POST' });
    expect(((await expired.json()) as { refunded: string }).refunded).toBe('10.00');
    env.sandbox.faults.set({});
    const final = await result();
    expect(final).toMatchObject({ status: 'COMPLETED', paidCount: 0, failedCount: 1, refundedFen: 1000 });
    expect(final.refund).toMatchObject({ status: 'SUCCESS', source: 'ALIPAY_TIMEOUT', amountFen: 1000 });
    // Alipay's automatic refund is the only refund: none of ours was applied.
    expect(
      env.sandbox.ledger
        .packet(authNo)
        .operations.filter((operation) => operation.operationType === 'REFUND')
        .map((operation) => [operation.outRequestNo, operation.amount]),
    ).toEqual([[`AUTO_REFUND_${authNo}`, 1000]]);
    expectConserved(final, env.sandbox);
  }, 180_000);
});

describe('a refund whose answers stop being simple', () => {
  it('left INIT, then CLOSED by Alipay: REFUND_BLOCKED, nothing refunded, the balance still at Alipay', async () => {
    env.sandbox.faults.set({
      methods: { [REFUND]: { pendingRate: 1, pendingMs: 3000, pendingOutcome: 'CLOSED' } },
    });
    const { authNo } = await packetWithClaim();
    await env.packets.closeNow(authNo);
    const blocked = await eventually(
      () => env.packets.getState(authNo),
      (state) => state.status === 'REFUND_BLOCKED',
      90_000,
    );
    expect(blocked.refund).toMatchObject({ status: 'BLOCKED', failure: expect.stringContaining('CLOSED') });
    expect(env.sandbox.ledger.packet(authNo)).toMatchObject({
      disbursed: 300,
      refunded: 0,
      balance: 700,
      pending: 0,
    });
    await env.packets.handle(authNo).terminate('test over: a CLOSED refund number cannot be sent again');
  }, 120_000);

  it('unanswered until its retries ran out, then unknown to Alipay: the same number is sent again and refunds once', async () => {
    env.sandbox.faults.set({ methods: { [REFUND]: { hangRate: 1 } } });
    const { authNo, result } = await packetWithClaim(DAY_MS, { refundNotifyWaitMs: 60_000 });
    await eventually(
      () => env.packets.getState(authNo),
      (state) => state.claims[0]?.status === 'PAID',
      30_000,
    );
    await env.packets.closeNow(authNo);
    const settled = result();
    // Ten attempts, the wait for a notification, a query finding nothing, and the same number again.
    await eventually(
      async () => requestsFor(REFUND, authNo).length,
      (sent) => sent > 10,
      90_000,
    );
    env.sandbox.faults.set({});
    const final = await settled;
    expect(final.refund).toMatchObject({ status: 'SUCCESS', amountFen: 700, source: 'MERCHANT' });
    expect(new Set(requestsFor(REFUND, authNo).map((request) => request.outRequestNo))).toEqual(
      new Set([final.refund?.outRequestNo]),
    );
    expect(requestsFor(REFUND, authNo).length).toBeGreaterThan(10);
    expectConserved(final, env.sandbox);
  }, 180_000);

  it('refused for good, then settled by Alipay’s timeout-refund notification without an operator', async () => {
    env.sandbox.faults.set({ methods: { [REFUND]: { refuseRate: 1, refuseSubCode: 'REFUND_NOT_ALLOWED' } } });
    const { authNo, result } = await packetWithClaim();
    await eventually(
      () => env.packets.getState(authNo),
      (state) => state.claims[0]?.status === 'PAID',
      30_000,
    );
    await env.packets.closeNow(authNo);
    await eventually(
      () => env.packets.getState(authNo),
      (state) => state.status === 'REFUND_BLOCKED',
      60_000,
    );
    const expired = await fetch(`${env.sandbox.url}/sandbox/packets/${authNo}/expire`, { method: 'POST' });
    expect(((await expired.json()) as { refunded: string }).refunded).toBe('7.00');
    const final = await result();
    expect(final.refund).toMatchObject({ status: 'SUCCESS', source: 'ALIPAY_TIMEOUT', amountFen: 700 });
    expect(requestsFor(REFUND, authNo)).toHaveLength(1);
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-blocked-refund-settled-by-notification', env.packets.handle(authNo));
  }, 120_000);
});
