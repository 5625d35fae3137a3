// Long-lived and hot packets stay bounded and keep moving: what continue-as-new carries, where
// settled claims go, and payouts that never hold up the rest. Real dev server and sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeState } from '../../client/packet-reads';
import type { CarriedStateV1 } from '../../workflows/legacy/lifecycle-v1';
import {
  workflowIdFor,
  type ClaimRequest,
  type RedPacketInput,
  type RedPacketState,
} from '../../workflows/messages';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { allClaims } from '../helpers/claims';
import { expectConserved } from '../helpers/conservation';
import { recordHistory, runChain } from '../helpers/history';
import { eventually, startLifecycleEnv, type LifecycleEnv } from '../helpers/lifecycle-env';
import { payRedPacket } from '../helpers/pay';

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

const DISBURSE = 'alipay.fund.coupon.order.disburse';
const REFUND = 'alipay.fund.coupon.order.refund';
const userId = (i: number) => `2088${String(i).padStart(12, '0')}`;
const result = (authNo: string) => env.packets.handle(authNo).result() as Promise<RedPacketState>;

describe('packets started before the bounded ledger', () => {
  it('run on under the v1 rules, and a claim on one that is not open is answered at once', async () => {
    env.sandbox.faults.set({ methods: { [REFUND]: { refuseRate: 1, refuseSubCode: 'REFUND_NOT_ALLOWED' } } });
    try {
      const pay = await payRedPacket(env.gateway, { totalFen: 1000, notifyUrl: env.webhookUrl, prefix: 'V' });
      const input: RedPacketInput = {
        authNo: pay.authNo,
        outOrderNo: pay.outOrderNo,
        totalFen: 1000,
        split: 'fixed',
        shares: 4,
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
      };
      // A continued run of a v1 packet: its carried ledger holds every claim.
      const carriedV1: CarriedStateV1 = {
        ledger: { totalFen: 1000, split: 'fixed', shares: 4, nextSeq: 1, claims: [] },
        notifications: { seenNotifyIds: [], ignored: [], refundNotices: [] },
        closeRequested: false,
      };
      await temporal.client.workflow.start('RedPacketLifecycle', {
        taskQueue: env.taskQueue,
        workflowId: workflowIdFor(pay.authNo),
        args: [input, carriedV1],
      });
      const first = await env.packets.claim(pay.authNo, { claimId: 'v1', payeeUserId: userId(1) });
      expect(first).toMatchObject({ accepted: true, amountFen: 250 });
      await env.packets.closeNow(pay.authNo);
      const blocked = await eventually(
        () => env.packets.getState(pay.authNo),
        (state) => state.status === 'REFUND_BLOCKED',
      );
      expect(blocked).toMatchObject({ status: 'REFUND_BLOCKED', claimPages: 0, claimCount: 1, paidCount: 1 });
      const started = Date.now();
      expect(await env.packets.claim(pay.authNo, { claimId: 'late', payeeUserId: userId(2) })).toMatchObject({
        accepted: false,
        reason: 'PACKET_NOT_OPEN',
      });
      expect(Date.now() - started).toBeLessThan(5000);
      env.sandbox.faults.set({});
      await env.packets.retryRefund(pay.authNo);
      const final = normalizeState(await env.packets.handle(pay.authNo).result());
      expect(final).toMatchObject({ status: 'COMPLETED', paidFen: 250, refundedFen: 750 });
      expectConserved(final, env.sandbox);
      // Its result (v1 shape, every claim) answers a repeat and pages like any other.
      expect(await env.packets.claim(pay.authNo, { claimId: 'v1', payeeUserId: userId(1) })).toMatchObject({
        accepted: true,
        amountFen: 250,
      });
      expect((await allClaims(env.packets, pay.authNo)).map((claim) => claim.claimId)).toEqual(['v1']);
      await recordHistory('v1-continued-run-refund-blocked', env.packets.handle(pay.authNo));
    } finally {
      env.sandbox.faults.set({});
    }
  }, 60_000);
});

describe('bounded state', () => {
  it('a 10,000-claim packet with maximum-length ids: every claim paid once, each run carries < 512 KiB, then refund and COMPLETED', async () => {
    const CLAIMS = 10_000;
    // 1 fen each: the claim cap (10,000), not the money, closes the packet; 10,000 fen go back.
    const { authNo } = await env.fundAndStart({
      totalFen: 2 * CLAIMS,
      split: 'claimant',
      ttlMs: 60 * 60_000,
      continueAsNewAfterEvents: 4000,
    });
    const claimId = (i: number) => `claim-${i}-`.padEnd(64, 'c');
    const logonId = (i: number) => `payee-${i}@`.padEnd(100, 'p');
    for (let start = 0; start < CLAIMS; start += 200) {
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, (_, k) => {
          const request: ClaimRequest = {
            claimId: claimId(start + k),
            payeeLogonId: logonId(start + k),
            amountFen: 1,
          };
          return env.packets.claim(authNo, request);
        }),
      );
      const refused = outcomes.filter((outcome) => !outcome.accepted);
      expect(refused).toEqual([]);
    }
    const late = await env.packets.claim(authNo, {
      claimId: 'one-too-many',
      payeeUserId: userId(1),
      amountFen: 1,
    });
    expect(late).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/SHARES_EXHAUSTED|PACKET_NOT_OPEN/),
    });

    const final = await result(authNo);
    expect(final).toMatchObject({
      status: 'COMPLETED',
      claimCount: CLAIMS,
      paidCount: CLAIMS,
      paidFen: CLAIMS,
      refundedFen: CLAIMS,
    });
    expect(Buffer.byteLength(JSON.stringify(final))).toBeLessThan(512 * 1024);
    expectConserved(final, env.sandbox);

    const runs = await runChain(temporal.client, workflowIdFor(authNo));
    const largest = Math.max(...runs.map((run) => run.inputBytes));
    console.log(
      `10,000 claims: ${runs.length} runs, largest carried input ${largest} bytes, ` +
        `largest history ${Math.max(...runs.map((run) => run.events))} events, ${final.claimPages} claim pages`,
    );
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(largest).toBeLessThan(512 * 1024);

    // Paging reaches every claim once, each paid; the sandbox paid each request number once.
    const claims = await allClaims(env.packets, authNo);
    expect(claims).toHaveLength(CLAIMS);
    expect(new Set(claims.map((claim) => claim.claimId)).size).toBe(CLAIMS);
    expect(claims.every((claim) => claim.status === 'PAID' && claim.amountFen === 1)).toBe(true);
    const disbursements = env.sandbox.ledger
      .packet(authNo)
      .operations.filter((operation) => operation.operationType === 'DISBURSE');
    expect(new Set(disbursements.map((operation) => operation.outRequestNo)).size).toBe(CLAIMS);
  }, 600_000);

  it('two payouts hung at Alipay while claims keep arriving do not stop the rest from being paid', async () => {
    const hung = [userId(900), userId(901)];
    env.sandbox.faults.set({ methods: { [DISBURSE]: { hangPayees: hung } } });
    try {
      const { authNo } = await env.fundAndStart({ totalFen: 10_000, split: 'claimant', ttlMs: 10 * 60_000 });
      for (const [i, payeeUserId] of hung.entries())
        expect(
          (await env.packets.claim(authNo, { claimId: `hung${i}`, payeeUserId, amountFen: 100 })).accepted,
        ).toBe(true);
      // Claims keep coming, a few a second, for longer than a payout counts as fresh.
      for (let i = 1; i <= 30; i++) {
        expect(
          (await env.packets.claim(authNo, { claimId: `k${i}`, payeeUserId: userId(i), amountFen: 10 }))
            .accepted,
        ).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const moving = await eventually(
        () => env.packets.getState(authNo),
        (state) => state.paidCount === 30,
        30_000,
      );
      expect(moving.paidCount).toBe(30);
      expect(
        moving.claims.filter((claim) => claim.status === 'PENDING').map((claim) => claim.claimId),
      ).toEqual(['hung0', 'hung1']);
      env.sandbox.faults.set({});
      await env.packets.closeNow(authNo);
      const final = await result(authNo);
      expect(final).toMatchObject({ status: 'COMPLETED', paidCount: 32, paidFen: 500, refundedFen: 9500 });
      expectConserved(final, env.sandbox);
      await recordHistory('bounded-two-hung-payouts-while-claiming', env.packets.handle(authNo));
    } finally {
      env.sandbox.faults.set({});
    }
  }, 120_000);

  it('a payout hung at Alipay does not hold up the others: the packet continues as new and keeps paying', async () => {
    const hung = userId(0);
    env.sandbox.faults.set({ methods: { [DISBURSE]: { hangPayees: [hung] } } });
    try {
      const { authNo } = await env.fundAndStart({
        totalFen: 10_000,
        split: 'claimant',
        ttlMs: 10 * 60_000,
        continueAsNewAfterEvents: 60,
      });
      expect(
        await env.packets.claim(authNo, { claimId: 'hung', payeeUserId: hung, amountFen: 100 }),
      ).toMatchObject({
        accepted: true,
      });
      for (let i = 1; i <= 30; i++) {
        const outcome = await env.packets.claim(authNo, {
          claimId: `k${i}`,
          payeeUserId: userId(i),
          amountFen: 10,
        });
        expect(outcome.accepted).toBe(true);
      }
      const moving = await eventually(
        () => env.packets.getState(authNo),
        (state) => state.paidCount === 30,
        60_000,
      );
      expect(moving.paidCount).toBe(30);
      expect(moving.claims.find((claim) => claim.claimId === 'hung')).toMatchObject({ status: 'PENDING' });
      expect((await runChain(temporal.client, workflowIdFor(authNo))).length).toBeGreaterThanOrEqual(2);

      env.sandbox.faults.set({});
      await env.packets.closeNow(authNo);
      const final = await result(authNo);
      expect(final).toMatchObject({ status: 'COMPLETED', paidCount: 31, paidFen: 400, refundedFen: 9600 });
      expectConserved(final, env.sandbox);
      expect((await allClaims(env.packets, authNo)).find((claim) => claim.claimId === 'hung')).toMatchObject({
        status: 'PAID',
      });
      // The last run: it starts from carried state, pays carried claims and seals the claim pages.
      await recordHistory('bounded-hung-payout-continued', env.packets.handle(authNo));
    } finally {
      env.sandbox.faults.set({});
    }
  }, 120_000);
});

describe('continue-as-new in a burst', () => {
  it('a claim burst with payouts in flight and a close in the middle: the runs hand over, every accepted claim is paid once, none after the close', async () => {
    // Payouts take 0.8 s at Alipay, so some are in flight at every hand-over.
    env.sandbox.faults.set({ methods: { [DISBURSE]: { latencyMs: 800 } } });
    try {
      const { authNo } = await env.fundAndStart({
        totalFen: 10_000,
        split: 'claimant',
        ttlMs: 10 * 60_000,
        continueAsNewAfterEvents: 40,
      });
      const claim = (i: number) =>
        env.packets.claim(authNo, { claimId: `b${i}`, payeeUserId: userId(i), amountFen: 10 + i });
      const before = await Promise.all(Array.from({ length: 30 }, (_, i) => claim(i)));
      expect(before.every((outcome) => outcome.accepted)).toBe(true);
      // The close lands while the first payouts are still at Alipay and claims keep coming.
      const [, ...during] = await Promise.all([
        env.packets.closeNow(authNo),
        ...Array.from({ length: 10 }, (_, i) => claim(30 + i)),
      ]);
      const after = await Promise.all(Array.from({ length: 10 }, (_, i) => claim(40 + i)));
      expect(after.map((outcome) => (outcome.accepted ? 'accepted' : outcome.reason))).toEqual(
        Array.from({ length: 10 }, () => 'PACKET_NOT_OPEN'),
      );
      const accepted = [...before, ...during].filter((outcome) => outcome.accepted);
      const final = await result(authNo);
      expect(final.status).toBe('COMPLETED');
      expect(final.paidCount).toBe(accepted.length);
      expect(final.paidFen).toBe(
        accepted.reduce((sum, outcome) => sum + (outcome.accepted ? outcome.amountFen : 0), 0),
      );
      expect((await runChain(temporal.client, workflowIdFor(authNo))).length).toBeGreaterThanOrEqual(2);
      const paid = await allClaims(env.packets, authNo);
      expect(
        new Set(paid.filter((entry) => entry.status === 'PAID').map((entry) => entry.claimId)).size,
      ).toBe(accepted.length);
      expectConserved(final, env.sandbox);
    } finally {
      env.sandbox.faults.set({});
    }
  }, 120_000);
});
