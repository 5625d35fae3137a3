import { expect } from 'vitest';
import type { RunningSandbox } from '../../sandbox/server';
import type { RedPacketState } from '../../workflows/messages';

/** disbursed + refunded == total, in the workflow's state and in the sandbox's own ledger; none paid twice. */
export function expectConserved(state: RedPacketState, sandbox: RunningSandbox): void {
  const paid = state.paidFen;
  expect(state.claims.filter((claim) => claim.status === 'PENDING')).toEqual([]);
  expect(state.claimCount - state.paidCount - state.failedCount).toBe(0);
  // The claims the state holds agree with its totals when it holds them all.
  if (state.claimPages === 0)
    expect(
      state.claims
        .filter((claim) => claim.status === 'PAID')
        .reduce((sum, claim) => sum + claim.amountFen, 0),
    ).toBe(paid);
  expect(paid + state.refundedFen).toBe(state.totalFen);
  const ledger = sandbox.ledger.packet(state.authNo);
  expect(ledger.disbursed).toBe(paid);
  expect(ledger.refunded).toBe(state.refundedFen);
  expect(ledger.disbursed + ledger.refunded).toBe(ledger.funded);
  expect(ledger.balance).toBe(0);
  expect(ledger.pending).toBe(0);
  // Operations Alipay CLOSED moved nothing: only the SUCCESS ones count.
  const moved = ledger.operations.filter((operation) => operation.status === 'SUCCESS');
  expect(moved.filter((operation) => operation.operationType === 'DISBURSE')).toHaveLength(state.paidCount);
  // Every fen the ledger shows moved is backed by an operation that moved it.
  const sum = (type: string) =>
    moved
      .filter((operation) => operation.operationType === type)
      .reduce((total, operation) => total + operation.amount, 0);
  expect(sum('DISBURSE')).toBe(ledger.disbursed);
  expect(sum('REFUND')).toBe(ledger.refunded);
  // One refund of ours, or Alipay's automatic ones (the balance at expiry, and any payout it closed after).
  const refunds = moved.filter((operation) => operation.operationType === 'REFUND');
  expect(
    refunds.filter((operation) => !operation.outRequestNo.startsWith('AUTO_REFUND_')).length,
  ).toBeLessThanOrEqual(1);
}
