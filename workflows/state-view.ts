// The `state` query's answer and the ledger shown in the Temporal UI (current details).
import { setCurrentDetails } from '@temporalio/workflow';
import type { Ledger } from './ledger';
import {
  MAX_STATE_CLAIMS,
  type FundingRejection,
  type IgnoredSignal,
  type RedPacketInput,
  type RedPacketState,
  type RedPacketStatus,
  type RefundView,
  type StatePage,
} from './messages';
import type { Notifications } from './notifications';

export interface StateParts {
  input: RedPacketInput;
  status: RedPacketStatus;
  ledger: Ledger;
  refund: RefundView | null;
  notifications: Notifications;
  claimPages: number;
  rejection?: FundingRejection;
  ignoredSignals: readonly IgnoredSignal[];
}

export function toState(parts: StateParts, page: StatePage = {}): RedPacketState {
  const { input, ledger, refund } = parts;
  const limit = Math.min(Math.max(1, Math.floor(page.limit ?? MAX_STATE_CLAIMS)), MAX_STATE_CLAIMS);
  return {
    authNo: input.authNo,
    status: parts.status,
    totalFen: ledger.totalFen,
    claimedFen: ledger.committedFen,
    paidFen: ledger.paidFen,
    remainingFen: ledger.remainingFen,
    refundedFen: refund?.status === 'SUCCESS' ? refund.amountFen : 0,
    shares: ledger.shares ?? null,
    expiresAt: input.expiresAt,
    claimCount: ledger.claimCount,
    paidCount: ledger.paidCount,
    failedCount: ledger.failedCount,
    claims: ledger.heldClaims(page.afterSeq ?? 0, limit),
    claimPages: parts.claimPages,
    refund,
    ignoredNotifications: [...parts.notifications.ignoredNotifications()],
    ignoredSignals: [...parts.ignoredSignals],
    ...(parts.rejection ? { rejection: parts.rejection } : {}),
  };
}

function yuan(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

export function describeForUi(parts: StateParts): void {
  const { ledger, refund } = parts;
  const pending = ledger.claimCount - ledger.paidCount - ledger.failedCount;
  const refundedFen = refund?.status === 'SUCCESS' ? refund.amountFen : 0;
  const lines = [
    `**${parts.status}**, red packet ${parts.input.authNo}, expires ${parts.input.expiresAt}`,
    '',
    `| total | claimed | remaining | refunded |`,
    `|---|---|---|---|`,
    `| ${yuan(ledger.totalFen)} | ${yuan(ledger.committedFen)} | ${yuan(ledger.remainingFen)} | ${yuan(refundedFen)} |`,
    '',
    `Claims: ${ledger.paidCount} paid, ${pending} pending, ${ledger.failedCount} failed` +
      (ledger.shares === undefined ? '' : ` (of ${ledger.shares} shares)`) +
      (parts.claimPages > 0 ? `; settled claims archived in ${parts.claimPages} claim pages` : ''),
  ];
  if (refund) {
    lines.push(
      `Refund ${refund.outRequestNo}: ${yuan(refund.amountFen)} ${refund.status}` +
        (refund.failure ? ` (${refund.failure})` : ''),
    );
  }
  if (parts.rejection)
    lines.push(`Rejected, ${parts.rejection.reason}: ${parts.rejection.detail}. No money moved.`);
  const ignored = parts.notifications.ignoredNotifications().length;
  if (ignored > 0) lines.push(`Ignored notifications: ${ignored}`);
  if (parts.ignoredSignals.length > 0) lines.push(`Ignored signals: ${parts.ignoredSignals.length}`);
  setCurrentDetails(lines.join('\n'));
}
