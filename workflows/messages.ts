// RedPacketLifecycle's contract: its input, signals, update, query, search attributes and task
// queue. Clients, the worker and the HTTP server import this module; it pulls in no workflow code.
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FundNotification } from '../alipay/notify';

export const DEFAULT_TASK_QUEUE = 'red-packets';
export const WORKFLOW_TYPE = 'RedPacketLifecycle';

export const AUTH_NO = defineSearchAttributeKey('AuthNo', 'KEYWORD');
export const RED_PACKET_STATUS = defineSearchAttributeKey('RedPacketStatus', 'KEYWORD');
export const SEARCH_ATTRIBUTES = [AUTH_NO, RED_PACKET_STATUS] as const;

/** Memo key of a lifecycle started traced: its workflow code traces for its whole life. */
export const TRACED_MEMO = 'traced';

export function workflowIdFor(authNo: string): string {
  return `red-packet-${authNo}`;
}

export type SplitMode = 'fixed' | 'random' | 'claimant';

export type RedPacketStatus =
  | 'VERIFYING_FUNDING'
  | 'OPEN'
  | 'CLOSING'
  | 'REFUNDING'
  | 'AWAITING_REFUND_NOTIFY'
  | 'REFUND_BLOCKED'
  | 'COMPLETED'
  | 'REJECTED';

/** A packet whose workflow ended without completing (an operator terminated it, or it failed). */
export type EndedStatus = 'TERMINATED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED';

/**
 * The pay a packet rests on, as Alipay knows it: its operation_id (queried with the auth_no,
 * Alipay's efficient form) or its out_request_no (queried with the out_order_no).
 */
export type FundingReference = { payOperationId: string } | { payOutRequestNo: string };

/** Why a packet never opened. No money moved. */
export type FundingRejectionReason =
  | 'FUNDING_NOT_NAMED'
  | 'FUNDING_NOT_FOUND'
  | 'FUNDING_NOT_PAY'
  | 'FUNDING_ORDER_MISMATCH'
  | 'FUNDING_NOT_SUCCESS'
  | 'FUNDING_AMOUNT_MISMATCH'
  | 'FUNDING_REFUNDED'
  /** A lifecycle of ours has paid out from this auth_no already (its first payout is at Alipay). */
  | 'FUNDING_SPENT'
  | 'FUNDING_UNVERIFIED';

export interface FundingRejection {
  reason: FundingRejectionReason;
  detail: string;
}

/** Amounts are integer fen. Validated at the edge (client/), trusted here. */
export interface RedPacketInput {
  authNo: string;
  /** The pay call's out_order_no. */
  outOrderNo: string;
  totalFen: number;
  /** ISO 8601 instant at which the unclaimed remainder is refunded. */
  expiresAt: string;
  /** Number of claims allowed; required for `fixed` and `random`. */
  shares?: number;
  split: SplitMode;
  /** The pay to verify before the packet opens; required for new packets. */
  funding?: FundingReference;
  title?: string;
  /** Where Alipay sends the refund notification; the worker's ALIPAY_NOTIFY_URL otherwise. */
  notifyUrl?: string;
  /** How long to wait for the refund notification before asking Alipay; default 10 minutes. */
  refundNotifyWaitMs?: number;
  /** Continue-as-new once history has this many events (Temporal's suggestion applies anyway). */
  continueAsNewAfterEvents?: number;
  /**
   * Set by whoever starts the lifecycle (never by the merchant), in every request number it sends
   * (request-numbers.ts); absent in packets started before it existed.
   */
  requestTag?: string;
}

export interface ClaimRequest {
  claimId: string;
  payeeUserId?: string;
  payeeLogonId?: string;
  /** Only with `split: 'claimant'`. */
  amountFen?: number;
}

export type ClaimStatus = 'PENDING' | 'PAID' | 'FAILED';

export type ClaimRefusalReason =
  | 'PACKET_NOT_OPEN'
  | 'PACKET_EXPIRED'
  | 'SHARES_EXHAUSTED'
  | 'PAYEE_ALREADY_CLAIMED'
  | 'CLAIM_ID_CONFLICT'
  | 'AMOUNT_REQUIRED'
  | 'AMOUNT_NOT_ALLOWED'
  | 'AMOUNT_OUT_OF_RANGE'
  | 'PAYEE_REQUIRED'
  | 'INVALID_CLAIM_ID';

/**
 * Refusals that hold for every new claim on the packet: the claim update's validator rejects a
 * whole batch with one of these, so it adds nothing to history; repeats are then answered by the
 * claimAnswers query.
 */
export const PACKET_REFUSALS = ['PACKET_NOT_OPEN', 'PACKET_EXPIRED', 'SHARES_EXHAUSTED'] as const;
export type PacketRefusalReason = (typeof PACKET_REFUSALS)[number];
/**
 * The validator's answer when the packet's unpaid claims fill what continue-as-new may carry (Alipay
 * is slower than the claims): not a refusal, the client retries shortly.
 */
export const PACKET_BUSY = 'PACKET_BUSY';
/**
 * The validator's answer to a batch of which no claim would be accepted (every one a repeat or
 * refused): nothing is recorded, and the client answers each by the claimAnswers query.
 */
export const NOTHING_TO_ACCEPT = 'NOTHING_TO_ACCEPT';

/** Claims one packet records at most (and the largest `shares`). */
export const MAX_CLAIMS = 10_000;

export type ClaimOutcome =
  | { accepted: true; claimId: string; status: ClaimStatus; amountFen: number; remainingFen: number }
  | { accepted: false; claimId: string; reason: ClaimRefusalReason };

export interface RefundView {
  outRequestNo: string;
  amountFen: number;
  status: 'PENDING' | 'SENT' | 'SUCCESS' | 'BLOCKED';
  /** `ALIPAY_TIMEOUT` when Alipay refunded the balance itself at its expiry. */
  source: 'MERCHANT' | 'ALIPAY_TIMEOUT';
  failure?: string;
  /**
   * Set when blocked because Alipay's books and ours disagree: Alipay closed the packet and
   * shows `alipayRefundedFen` refunded (null: it could not be asked), our remainder is `amountFen`.
   */
  reason?: 'UNRECONCILED';
  alipayRefundedFen?: number | null;
}

/** A signal that arrived when it could do nothing (a retryRefund with no blocked refund). */
export interface IgnoredSignal {
  signal: string;
  /** When it arrived (workflow time), ISO 8601. */
  at: string;
  reason: string;
}

export interface ClaimView {
  claimId: string;
  /** Order of acceptance. */
  seq: number;
  amountFen: number;
  status: ClaimStatus;
  failure?: string;
  operationId?: string;
}

export interface RedPacketState {
  authNo: string;
  status: RedPacketStatus;
  totalFen: number;
  claimedFen: number;
  /** Paid out to claimants (Alipay confirmed each payout). */
  paidFen: number;
  remainingFen: number;
  refundedFen: number;
  shares: number | null;
  expiresAt: string;
  /** Claims accepted, settled or not (failed ones included). */
  claimCount: number;
  paidCount: number;
  failedCount: number;
  /**
   * Claims held by the workflow, in order of acceptance (a page of them: see StatePage).
   * Settled claims move out into claim pages, 1,000 at a time and at each continue-as-new.
   */
  claims: ClaimView[];
  /** Claim pages written so far: workflows claimPageWorkflowId(authNo, 1..claimPages). */
  claimPages: number;
  refund: RefundView | null;
  ignoredNotifications: Array<{ notifyId: string; reason: string }>;
  ignoredSignals: IgnoredSignal[];
  /** Set when the status is REJECTED. */
  rejection?: FundingRejection;
  /** How Alipay knows this packet's operations (absent from answers written before it existed). */
  alipayKeys?: AlipayKeys;
}

/** What reconciliation asks Alipay by: every number this packet's operations carry there. */
export interface AlipayKeys {
  outOrderNo: string;
  /** The tag in this lifecycle's request numbers (request-numbers.ts); absent when they carry none. */
  requestTag?: string;
  funding?: FundingReference;
  /** Alipay's operation for its own refund of the balance at expiry, when its notification named it. */
  timeoutRefundOperationId?: string;
}

export const claimUpdate = defineUpdate<ClaimOutcome, [ClaimRequest]>('claim');
/**
 * Many claims in one update, answered in order; refusals are outcomes, not rejections. The HTTP
 * server coalesces bursts on a hot packet into these: one workflow task for many claims.
 */
export const claimBatchUpdate = defineUpdate<ClaimOutcome[], [ClaimRequest[]]>('claimBatch');
export const MAX_CLAIM_BATCH = 100;
/**
 * What the claims would be answered now, without changing anything: a repeat gets its first
 * result (or CLAIM_ID_CONFLICT), a new claim its refusal, or null if it would be accepted. For
 * batches the validator rejected (at most MAX_CLAIM_BATCH claims are answered).
 */
export const claimAnswersQuery = defineQuery<Array<ClaimOutcome | null>, [ClaimRequest[]]>('claimAnswers');
/** A notification the webhook has verified. */
export const alipayNotifySignal = defineSignal<[FundNotification]>('alipayNotify');
/** The merchant closes the packet now and refunds the remainder. */
export const closeNowSignal = defineSignal('closeNow');
/** An operator retries a refund that Alipay refused (REFUND_BLOCKED). */
export const retryRefundSignal = defineSignal('retryRefund');
/** Which held claims the state shows: those after `afterSeq` (default 0), at most `limit`. */
export interface StatePage {
  afterSeq?: number;
  limit?: number;
}
/** The most claims one state answer holds. */
export const MAX_STATE_CLAIMS = 1000;
export const stateQuery = defineQuery<RedPacketState, [StatePage?]>('state');

/** Settled claims archived out of a packet's workflow: each page is a workflow of its own. */
export interface ClaimPage {
  authNo: string;
  /** 1, 2, ...: the order in which the pages were written. */
  number: number;
  claims: ClaimView[];
}
export const CLAIM_PAGE_WORKFLOW_TYPE = 'RedPacketClaimPage';
/** The packet's workflow completed: the page completes too, with its claims as its result. */
export const sealClaimPageSignal = defineSignal('seal');
export const claimPageQuery = defineQuery<ClaimPage>('page');

export function claimPageWorkflowId(authNo: string, number: number): string {
  return `red-packet-claims-${authNo}-${number}`;
}
/** Answers once the funding is verified or refused: the status then (OPEN, REJECTED, ...). */
export const fundingSettledUpdate = defineUpdate<RedPacketStatus>('fundingSettled');
