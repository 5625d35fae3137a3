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
  requestTag?: string;
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
    alipayKeys: {
      outOrderNo: input.outOrderNo,
      ...(parts.requestTag === undefined ? {} : { requestTag: parts.requestTag }),
      ...(input.funding ? { funding: input.funding } : {}),
      ...(parts.notifications.timeoutRefund?.operationId
        ? { timeoutRefundOperationId: parts.notifications.timeoutRefund.operationId }
        : {}),
    },
  };
}

function yuan(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/**
 * What an operator should do about a packet in this state, or nothing when it needs no one.
 * Blocked refunds wait for a person; every other state moves on by itself.
 */
function nextStep(parts: StateParts): string | undefined {
  const { refund } = parts;
  if (parts.status !== 'REFUND_BLOCKED' || !refund) return undefined;
  // In backticks: the UI renders the details as markdown, which would turn `--` into a dash.
  const retry =
    'then send the retryRefund signal (UI: Send a Signal; CLI: `temporal workflow signal ' +
    `--workflow-id red-packet-${parts.input.authNo} --name retryRefund\`)`;
  if (refund.reason !== 'UNRECONCILED')
    return `fix the cause in the Refund line (Alipay's answer), ${retry}. Alipay's refund notification for this packet also releases it.`;
  const theirs =
    refund.alipayRefundedFen === undefined || refund.alipayRefundedFen === null
      ? 'an amount it could not be asked for'
      : `${yuan(refund.alipayRefundedFen)} yuan`;
  return (
    `Alipay refunded ${theirs}, our remainder is ${yuan(refund.amountFen)} yuan: compare the packet in ` +
    `Alipay's merchant console with this ledger first; ${retry} only once they agree.`
  );
}

/** The current details in the Temporal UI: one `label: value` line each (amounts in yuan). */
export function describeForUi(parts: StateParts): void {
  const { ledger, refund } = parts;
  const pending = ledger.claimCount - ledger.paidCount - ledger.failedCount;
  const refundedFen = refund?.status === 'SUCCESS' ? refund.amountFen : 0;
  const lines = [
    `Status: ${parts.status}`,
    `Red packet: ${parts.input.authNo}`,
    `Expires: ${parts.input.expiresAt}`,
    `Total: ${yuan(ledger.totalFen)} yuan`,
    `Claimed: ${yuan(ledger.committedFen)} yuan`,
    `Remaining: ${yuan(ledger.remainingFen)} yuan`,
    `Refunded: ${yuan(refundedFen)} yuan`,
    `Claims: ${ledger.paidCount} paid, ${pending} pending, ${ledger.failedCount} failed` +
      (ledger.shares === undefined ? '' : ` (of ${ledger.shares} shares)`),
  ];
  if (parts.claimPages > 0)
    lines.push(
      `Claim pages: ${parts.claimPages} (settled claims, workflows red-packet-claims-${parts.input.authNo}-<n>)`,
    );
  if (refund) {
    lines.push(
      `Refund: ${refund.outRequestNo}, ${yuan(refund.amountFen)} yuan, ${refund.status}` +
        (refund.failure ? ` (${refund.failure})` : ''),
    );
  }
  if (parts.rejection)
    lines.push(`Rejected: ${parts.rejection.reason}, ${parts.rejection.detail}. No money moved.`);
  const ignored = parts.notifications.ignoredNotifications().length;
  if (ignored > 0) lines.push(`Ignored notifications: ${ignored} (see the state query)`);
  if (parts.ignoredSignals.length > 0)
    lines.push(`Ignored signals: ${parts.ignoredSignals.length} (see the state query)`);
  const step = nextStep(parts);
  if (step) lines.push(`Next step: ${step}`);
  setCurrentDetails(lines.join('\n'));
}
