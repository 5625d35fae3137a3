// ReconcileRedPackets' contract: its input, its report, its Schedule, and what its activities
// answer. Clients, the worker and the activities import this module; it pulls in no workflow code.
import type { Difference, DifferenceKind } from './reconciliation-differences';

export const RECONCILIATION_WORKFLOW_TYPE = 'ReconcileRedPackets';
export const RECONCILIATION_SCHEDULE_ID = 'red-packet-reconciliation';
/** Daily at 10:00 Beijing time: Alipay's bill for the day before is ready by about 09:00. */
export const DEFAULT_RECONCILE_CRON = '0 10 * * *';
export const RECONCILE_TIMEZONE = 'Asia/Shanghai';

/** The reconciliation's Alipay calls run on a queue of their own, paced (activities/reconciliation.ts). */
export function reconciliationTaskQueue(packetTaskQueue: string): string {
  return `${packetTaskQueue}-reconciliation`;
}

/** The workflow id of a day's reconciliation started on demand (the Schedule's add their start time). */
export function reconciliationWorkflowId(day: string): string {
  return `${RECONCILIATION_SCHEDULE_ID}-${day}`;
}

/** The bill activity's failure when Alipay's file cannot be read (retrying reads the same file). */
export const BILL_UNREADABLE = 'BILL_UNREADABLE';

/** The report lists at most this many differences (and counts them all). */
export const MAX_LISTED_DIFFERENCES = 200;
/** The report names at most this many skipped packets (and counts them all). */
export const MAX_LISTED_SKIPPED = 100;
/**
 * Packets one day's reconciliation checks at most: their auth_nos and bill lines are carried
 * across continue-as-new (about 100 bytes a packet, well inside Temporal's 2 MB payload).
 */
export const MAX_PACKETS_PER_DAY = 10_000;

export interface ReconcileInput {
  /** yyyy-MM-dd, Beijing time. The Schedule gives none: the day before its scheduled time. */
  day?: string;
  /** Where the packets' lifecycles run (visibility filters by it). */
  packetTaskQueue: string;
  /** Where the reconciliation's activities run: reconciliationTaskQueue(packetTaskQueue). */
  activityTaskQueue: string;
  /** A bill Alipay has not made yet is asked for again this often, this many times (default 30 min, 24). */
  billRetry?: { intervalSeconds: number; attempts: number };
  /** Packets one run checks before it continues as new (default 500). */
  packetsPerRun?: number;
  /** Carried across continue-as-new. */
  progress?: ReconcileProgress;
}

export interface ReconciliationFindings {
  matched: number;
  differencesByKind: Record<DifferenceKind, number>;
  /** The first MAX_LISTED_DIFFERENCES. */
  differences: Difference[];
}

export interface PacketFindings extends ReconciliationFindings {
  authNo: string;
  /** Why the packet, or part of it, was not checked. */
  skipped?: string;
  /** The bill lines (账务流水号) under the packet's numbers, matched with it. */
  billLinesHandled: string[];
  /** Payouts and refunds still on their way: checked on a later day. */
  pending: number;
}

export type BillReadiness = { ready: true; lines: number } | { ready: false; detail: string };

export interface PacketListPage {
  authNos: string[];
  nextPageToken: string | null;
}

export type BillOutcome =
  { status: 'MATCHED'; lines: number } | { status: 'NOT_READY' | 'UNREADABLE'; detail: string };

export interface DayReconciliation {
  day: string;
  packetsChecked: number;
  packetsSkipped: number;
  skipped: Array<{ authNo: string; why: string }>;
  /** Our operations Alipay's query confirmed, plus bill lines matched to one of ours. */
  operationsMatched: number;
  operationsPending: number;
  bill: BillOutcome;
  differencesByKind: Record<DifferenceKind, number>;
  /** The first MAX_LISTED_DIFFERENCES; differencesByKind counts them all. */
  differences: Difference[];
}

export interface ReconcileProgress {
  day: string;
  /** Whether the bill is matched (found ready and readable before the packets were checked). */
  bill: { status: 'READY' } | Extract<BillOutcome, { status: 'NOT_READY' | 'UNREADABLE' }>;
  /** Running packets are listed first, then those closed since the day began. */
  pass: 'running' | 'closed';
  nextPageToken: string | null;
  /** Packets already checked (a packet closing mid-listing shows up in both passes). */
  seen: string[];
  /** Bill lines (账务流水号) the checked packets matched: the rest are unknown to us. */
  billLinesHandled: string[];
  report: Omit<DayReconciliation, 'bill'>;
}
