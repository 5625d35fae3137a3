// The `state` query's answer and the ledger shown in the Temporal UI (current details).
import { setCurrentDetails } from '@temporalio/workflow';
import type { Ledger } from './ledger-v1';
import { publicStatus } from './ledger-v1';
import type { RedPacketInput, RedPacketStatus, RefundView } from '../messages';
import type { RedPacketStateV1 as RedPacketState } from './messages-v1';
import type { Notifications } from '../notifications';

export function toState(
  input: RedPacketInput,
  status: RedPacketStatus,
  ledger: Ledger,
  refund: RefundView | null,
  notifications: Notifications,
): RedPacketState {
  return {
    authNo: input.authNo,
    status,
    totalFen: ledger.totalFen,
    claimedFen: ledger.committedFen,
    remainingFen: ledger.remainingFen,
    refundedFen: refund?.status === 'SUCCESS' ? refund.amountFen : 0,
    shares: ledger.shares ?? null,
    expiresAt: input.expiresAt,
    claims: ledger.allClaims().map((claim) => ({
      claimId: claim.claimId,
      amountFen: claim.amountFen,
      status: publicStatus(claim.phase),
      ...(claim.failure ? { failure: claim.failure } : {}),
    })),
    refund,
    ignoredNotifications: [...notifications.ignoredNotifications()],
  };
}

function yuan(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

export function describeForUi(state: RedPacketState): void {
  const counts = { PENDING: 0, PAID: 0, FAILED: 0 };
  for (const claim of state.claims) counts[claim.status] += 1;
  const lines = [
    `**${state.status}**, red packet ${state.authNo}, expires ${state.expiresAt}`,
    '',
    `| total | claimed | remaining | refunded |`,
    `|---|---|---|---|`,
    `| ${yuan(state.totalFen)} | ${yuan(state.claimedFen)} | ${yuan(state.remainingFen)} | ${yuan(state.refundedFen)} |`,
    '',
    `Claims: ${counts.PAID} paid, ${counts.PENDING} pending, ${counts.FAILED} failed` +
      (state.shares === null ? '' : ` (of ${state.shares} shares)`),
  ];
  if (state.refund) {
    lines.push(
      `Refund ${state.refund.outRequestNo}: ${yuan(state.refund.amountFen)} ${state.refund.status}` +
        (state.refund.failure ? ` (${state.refund.failure})` : ''),
    );
  }
  if (state.rejection)
    lines.push(`Rejected, ${state.rejection.reason}: ${state.rejection.detail}. No money moved.`);
  if (state.ignoredNotifications.length > 0)
    lines.push(`Ignored notifications: ${state.ignoredNotifications.length}`);
  setCurrentDetails(lines.join('\n'));
}
