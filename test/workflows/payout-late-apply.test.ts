// A payout whose request Alipay applies only after every retry went unanswered, on the
// time-skipping server (retry backoffs and rechecks skipped) with the sandbox's lateApply fault.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from '../harness/temporal';
import { startLifecycleEnv, type LifecycleEnv } from '../helpers/lifecycle-env';
import { expectConserved } from '../helpers/conservation';
import { recordHistory } from '../helpers/history';
import type { RedPacketState } from '../../workflows/messages';

const DISBURSE = 'alipay.fund.coupon.order.disburse';

let server: TestWorkflowEnvironment;
let env: LifecycleEnv;

beforeAll(async () => {
  server = await createTimeSkippingEnv();
  env = await startLifecycleEnv(server.client, server.nativeConnection);
});
afterAll(async () => {
  await env?.close();
  await server?.teardown();
});

describe('an unknown payout outcome', () => {
  it('applied by Alipay after its last retry went unanswered: PAID once, never released, the refund exact', async () => {
    // Every disburse request goes unanswered and lands 25 s (real time) later: ten attempts run
    // out first (their backoffs skipped), and Alipay has no record of the payout when they do.
    env.sandbox.faults.set({ methods: { [DISBURSE]: { lateApplyRate: 1, lateApplyMs: 25_000 } } });
    const { authNo } = await env.fundAndStart({ totalFen: 1000, split: 'claimant', ttlMs: 24 * 3_600_000 });
    expect(
      await env.packets.claim(authNo, { claimId: 'late', payeeUserId: '2088000000000001', amountFen: 300 }),
    ).toMatchObject({ accepted: true, status: 'PENDING' });
    const final = (await env.packets.handle(authNo).result()) as RedPacketState;
    expect(final).toMatchObject({
      status: 'COMPLETED',
      paidCount: 1,
      failedCount: 0,
      paidFen: 300,
      refundedFen: 700,
    });
    expect(env.sandbox.ledger.packet(authNo)).toMatchObject({ disbursed: 300, refunded: 700, balance: 0 });
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-payout-applied-late', env.packets.handle(authNo));
  }, 180_000);
});
