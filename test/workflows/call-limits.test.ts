// Payouts beyond Alipay's call limit (40005) on the shared dev server with the sandbox: each is
// sent again after a backoff and paid once; nothing is released or lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { startLifecycleEnv, type LifecycleEnv } from '../helpers/lifecycle-env';
import { expectConserved } from '../helpers/conservation';
import type { RedPacketState } from '../../workflows/messages';

const DISBURSE = 'alipay.fund.coupon.order.disburse';
let temporal: DevServerHandles;
let env: LifecycleEnv;

beforeAll(async () => {
  temporal = await connectToDevServer();
  // One payout a second: a packet's payouts, sent together once claims go quiet, meet the limit.
  env = await startLifecycleEnv(temporal.client, temporal.nativeConnection, {
    callLimits: { [DISBURSE]: 1 },
  });
});
afterAll(async () => {
  await env?.close();
  await temporal?.close();
});

describe("payouts over Alipay's call limit", () => {
  it('are answered 40005, sent again after a backoff and paid once each: all five PAID, 10.00 disbursed', async () => {
    const { authNo } = await env.fundAndStart({ totalFen: 1000, split: 'fixed', shares: 5, ttlMs: 600_000 });
    const outcomes = await Promise.all(
      [0, 1, 2, 3, 4].map((index) =>
        env.packets.claim(authNo, {
          claimId: `c${index}`,
          payeeUserId: `2088${String(index).padStart(12, '0')}`,
        }),
      ),
    );
    expect(outcomes.every((outcome) => outcome.accepted)).toBe(true);
    const final = (await env.packets.handle(authNo).result()) as RedPacketState;
    expect(final).toMatchObject({
      status: 'COMPLETED',
      paidCount: 5,
      failedCount: 0,
      paidFen: 1000,
      refundedFen: 0,
    });
    const disbursed = env.sandbox.ledger
      .packet(authNo)
      .operations.filter((op) => op.operationType === 'DISBURSE');
    expect(disbursed).toHaveLength(5);
    expect(new Set(disbursed.map((op) => op.outRequestNo)).size).toBe(5);
    expect(env.sandbox.callLimits.current().refused[DISBURSE] ?? 0).toBeGreaterThan(0);
    expectConserved(final, env.sandbox);
  }, 120_000);
});
