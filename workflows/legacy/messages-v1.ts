// The parts of RedPacketLifecycle's contract that changed shape with the bounded ledger, as the
// histories recorded before it use them. Handlers are matched by name, not by these objects.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ClaimRequest, ClaimStatus, FundingRejection, RedPacketStatus, RefundView } from '../messages';

export interface RedPacketStateV1 {
  authNo: string;
  status: RedPacketStatus;
  totalFen: number;
  claimedFen: number;
  remainingFen: number;
  refundedFen: number;
  shares: number | null;
  expiresAt: string;
  claims: Array<{ claimId: string; amountFen: number; status: ClaimStatus; failure?: string }>;
  refund: RefundView | null;
  ignoredNotifications: Array<{ notifyId: string; reason: string }>;
  rejection?: FundingRejection;
}

export const stateQueryV1 = defineQuery<RedPacketStateV1>('state');
/** Fire-and-forget claims, retired: refused ones added history that no validator could stop. */
export const claimSignalV1 = defineSignal<[ClaimRequest]>('claim');
