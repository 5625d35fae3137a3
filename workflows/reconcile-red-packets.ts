// ReconcileRedPackets: one business day (Beijing time) of our ledgers against Alipay's. It lists
// the day's packets by visibility, checks each one's operations with Alipay's query, then matches
// the day's bill; the report is its result, its current details in the UI and a gauge per kind of
// difference. The Schedule red-packet-reconciliation starts it daily (client/reconciliation-schedule.ts).
import {
  ApplicationFailure,
  ActivityFailure,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { ReconciliationActivities } from '../activities/reconciliation';
import { DIFFERENCE_KINDS, countByKind } from './reconciliation-differences';
import { billSummary, reportLines } from './reconciliation-report';
import {
  BILL_UNREADABLE,
  MAX_LISTED_DIFFERENCES,
  MAX_LISTED_SKIPPED,
  MAX_PACKETS_PER_DAY,
  type BillOutcome,
  type DayReconciliation,
  type PacketFindings,
  type ReconcileInput,
  type ReconcileProgress,
  type ReconciliationFindings,
} from './reconciliation-messages';

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const BEIJING_OFFSET_MS = 8 * 3600_000;
const PAGE_SIZE = 100;
/** Packets checked at once; each activity paces its own Alipay calls. */
const CONCURRENCY = 4;
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME');

/** The Schedule's day: the Beijing day before the time it was scheduled for (or started at). */
function dayBeforeScheduledTime(): string {
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(SCHEDULED_START) ?? info.startTime;
  return new Date(scheduled.getTime() + BEIJING_OFFSET_MS - 24 * 3600_000).toISOString().slice(0, 10);
}

function emptyProgress(day: string, bill: ReconcileProgress['bill']): ReconcileProgress {
  return {
    day,
    bill,
    pass: 'running',
    nextPageToken: null,
    seen: [],
    billLinesHandled: [],
    report: {
      day,
      packetsChecked: 0,
      packetsSkipped: 0,
      skipped: [],
      operationsMatched: 0,
      operationsPending: 0,
      differencesByKind: countByKind([]),
      differences: [],
    },
  };
}

function addFindings(report: ReconcileProgress['report'], findings: ReconciliationFindings): void {
  report.operationsMatched += findings.matched;
  for (const kind of DIFFERENCE_KINDS) report.differencesByKind[kind] += findings.differencesByKind[kind];
  report.differences.push(
    ...findings.differences.slice(0, MAX_LISTED_DIFFERENCES - report.differences.length),
  );
}

function addPacket(progress: ReconcileProgress, packet: PacketFindings): void {
  const { report } = progress;
  report.packetsChecked += 1;
  report.operationsPending += packet.pending;
  if (packet.skipped !== undefined) {
    report.packetsSkipped += 1;
    if (report.skipped.length < MAX_LISTED_SKIPPED)
      report.skipped.push({ authNo: packet.authNo, why: packet.skipped });
  }
  addFindings(report, packet);
  progress.billLinesHandled.push(...packet.billLinesHandled);
}

/** The current details in the Temporal UI. */
function show(report: ReconcileProgress['report'], bill: string): void {
  setCurrentDetails(reportLines(report, bill).join('\n'));
}

/** A packet whose check failed for good is reported as not checked; the day goes on. */
function notChecked(authNo: string, error: unknown): PacketFindings {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  return {
    authNo,
    skipped: `could not be checked: ${cause instanceof Error ? cause.message : String(cause)}`,
    matched: 0,
    differencesByKind: countByKind([]),
    differences: [],
    billLinesHandled: [],
    pending: 0,
  };
}

export async function ReconcileRedPackets(input: ReconcileInput): Promise<DayReconciliation> {
  const day = input.progress?.day ?? input.day ?? dayBeforeScheduledTime();
  if (!DAY.test(day) || !new Date(`${day}T00:00:00Z`).toISOString().startsWith(day))
    throw ApplicationFailure.nonRetryable(`day must be yyyy-MM-dd, not ${JSON.stringify(day.slice(0, 20))}`);
  const packetsPerRun = input.packetsPerRun ?? 500;
  /** The bill is read once per reconciliation, across its continued runs. */
  const run = workflowInfo().firstExecutionRunId;
  const billRetry = input.billRetry ?? { intervalSeconds: 1800, attempts: 24 };
  const { listPacketsOfDay, checkPacketWithAlipay, billReadiness, unclaimedBillLines } =
    proxyActivities<ReconciliationActivities>({
      taskQueue: input.activityTaskQueue,
      startToCloseTimeout: '30 minutes',
      heartbeatTimeout: '30 seconds',
      retry: {
        initialInterval: '5 seconds',
        backoffCoefficient: 2,
        maximumInterval: '2 minutes',
        maximumAttempts: 10,
        nonRetryableErrorTypes: [BILL_UNREADABLE],
      },
    });

  const progress = input.progress ?? emptyProgress(day, await waitForBill());
  const { report } = progress;
  const billLabel = () =>
    progress.bill.status === 'READY'
      ? 'matched with each packet'
      : `${progress.bill.status}: ${progress.bill.detail}`;

  /** Asks for the bill until it is ready (or readable), `billRetry.attempts` times at most. */
  async function waitForBill(): Promise<ReconcileProgress['bill']> {
    const { report: empty } = emptyProgress(day, { status: 'READY' });
    for (let attempt = 1; ; attempt++) {
      show(
        empty,
        attempt === 1
          ? 'downloading'
          : `not ready yet, asking again (attempt ${attempt} of ${billRetry.attempts})`,
      );
      let readiness;
      try {
        readiness = await billReadiness({ day, run });
      } catch (error) {
        const cause = error instanceof ActivityFailure ? error.cause : undefined;
        if (cause instanceof ApplicationFailure && cause.type === BILL_UNREADABLE)
          return { status: 'UNREADABLE', detail: cause.message };
        throw error;
      }
      if (readiness.ready) return { status: 'READY' };
      if (attempt >= billRetry.attempts) return { status: 'NOT_READY', detail: readiness.detail };
      show(
        empty,
        `not ready yet (attempt ${attempt} of ${billRetry.attempts}), asking again in ${billRetry.intervalSeconds} s`,
      );
      await sleep(billRetry.intervalSeconds * 1000);
    }
  }

  const seen = new Set(progress.seen);
  let checkedThisRun = 0;
  show(report, billLabel());
  for (;;) {
    const page = await listPacketsOfDay({
      day,
      packetTaskQueue: input.packetTaskQueue,
      pass: progress.pass,
      pageSize: Math.min(PAGE_SIZE, packetsPerRun),
      ...(progress.nextPageToken ? { nextPageToken: progress.nextPageToken } : {}),
    });
    const fresh = page.authNos.filter((authNo) => !seen.has(authNo));
    if (seen.size + fresh.length > MAX_PACKETS_PER_DAY)
      throw ApplicationFailure.nonRetryable(
        `more than ${MAX_PACKETS_PER_DAY} packets on ${day}: split the day or raise MAX_PACKETS_PER_DAY`,
      );
    const matchBill = progress.bill.status === 'READY';
    for (let start = 0; start < fresh.length; start += CONCURRENCY) {
      const batch = fresh.slice(start, start + CONCURRENCY);
      const checked = await Promise.all(
        batch.map((authNo) =>
          checkPacketWithAlipay({ authNo, day, run, matchBill }).catch((error: unknown) => {
            // A cancelled reconciliation stops; any other failure leaves one packet unchecked.
            if (isCancellation(error)) throw error;
            return notChecked(authNo, error);
          }),
        ),
      );
      for (const packet of checked) addPacket(progress, packet);
      batch.forEach((authNo) => seen.add(authNo));
    }
    checkedThisRun += fresh.length;
    if (page.nextPageToken) progress.nextPageToken = page.nextPageToken;
    else if (progress.pass === 'running') {
      progress.pass = 'closed';
      progress.nextPageToken = null;
    } else break;
    show(report, billLabel());
    if (checkedThisRun >= packetsPerRun || workflowInfo().continueAsNewSuggested)
      return continueAsNew<typeof ReconcileRedPackets>({
        ...input,
        day,
        progress: { ...progress, seen: [...seen] },
      });
  }

  let bill: BillOutcome;
  if (progress.bill.status === 'READY') {
    const unclaimed = await unclaimedBillLines({ day, run, handled: progress.billLinesHandled });
    addFindings(report, unclaimed);
    bill = { status: 'MATCHED', lines: unclaimed.billLines };
  } else bill = progress.bill;
  const result: DayReconciliation = { ...report, bill };
  show(report, billSummary(bill));
  return result;
}
