// Long-lived and hot packets stay bounded and keep moving: what continue-as-new carries, where
// settled claims go, and payouts that never hold up the rest. Real dev server and sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  workflowIdFor,
  type ClaimRequest,
  type ClaimView,
  type RedPacketState,
} from '../../workflows/messages';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { expectConserved } from '../helpers/conservation';
import { recordHistory, runChain } from '../helpers/history';
import { eventually, startLifecycleEnv, type LifecycleEnv } from '../helpers/lifecycle-env';

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
const userId = (i: number) => `2088${String(i).padStart(12, '0')}`;
const result = (authNo: string) => env.packets.handle(authNo).result() as Promise<RedPacketState>;

/** Every claim of the packet, following readClaims' cursors. */
async function allClaims(authNo: string): Promise<ClaimView[]> {
  const claims: ClaimView[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.packets.readClaims(authNo, { cursor });
    claims.push(...page.state.claims);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return claims;
}

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
    const claims = await allClaims(authNo);
    expect(claims).toHaveLength(CLAIMS);
    expect(new Set(claims.map((claim) => claim.claimId)).size).toBe(CLAIMS);
    expect(claims.every((claim) => claim.status === 'PAID' && claim.amountFen === 1)).toBe(true);
    const disbursements = env.sandbox.ledger
      .packet(authNo)
      .operations.filter((operation) => operation.operationType === 'DISBURSE');
    expect(new Set(disbursements.map((operation) => operation.outRequestNo)).size).toBe(CLAIMS);
  }, 600_000);

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
      expect((await allClaims(authNo)).find((claim) => claim.claimId === 'hung')).toMatchObject({
        status: 'PAID',
      });
      // The last run: it starts from carried state, pays carried claims and seals the claim pages.
      await recordHistory('bounded-hung-payout-continued', env.packets.handle(authNo));
    } finally {
      env.sandbox.faults.set({});
    }
  }, 120_000);
});
