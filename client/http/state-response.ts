// The state query's answer as the HTTP API shows it: amounts as two-decimal strings.
import { formatFen } from '../../alipay/money';
import type { PacketReading } from '../packet-reads';

export function stateResponse(state: PacketReading) {
  return {
    authNo: state.authNo,
    status: state.status,
    total: formatFen(state.totalFen),
    claimed: formatFen(state.claimedFen),
    paid: formatFen(state.paidFen),
    remaining: formatFen(state.remainingFen),
    refunded: formatFen(state.refundedFen),
    shares: state.shares,
    expiresAt: state.expiresAt,
    claimCount: state.claimCount,
    paidCount: state.paidCount,
    failedCount: state.failedCount,
    claims: state.claims.map((claim) => ({
      claimId: claim.claimId,
      amount: formatFen(claim.amountFen),
      status: claim.status,
      ...(claim.failure ? { failure: claim.failure } : {}),
    })),
    refund: state.refund
      ? {
          outRequestNo: state.refund.outRequestNo,
          amount: formatFen(state.refund.amountFen),
          status: state.refund.status,
          source: state.refund.source,
          ...(state.refund.failure ? { failure: state.refund.failure } : {}),
        }
      : null,
    ignoredNotifications: state.ignoredNotifications,
    ignoredSignals: state.ignoredSignals,
    ...(state.rejection ? { rejection: state.rejection } : {}),
  };
}
