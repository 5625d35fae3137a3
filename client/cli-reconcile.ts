// `redpacket reconcile`: one day now, printed (--date), or past days through the Schedule
// (--from/--to). Talks to Temporal directly, as an operator does (TEMPORAL_ADDRESS, else the
// dev server of `npm start`), with the payload key when payloads are encrypted.
import { isBillDate } from '../alipay/bill';
import { payloadCodecFromEnv } from '../codec/key-files';
import { readPort, readTemporalConfig } from '../config/env';
import { RECONCILIATION_SCHEDULE_ID, type DayReconciliation } from '../workflows/reconciliation-messages';
import { billSummary, reportLines } from '../workflows/reconciliation-report';
import { backfillReconciliation, reconcileDayNow } from './reconciliation-schedule';
import { connectClient } from './temporal-connection';

export const RECONCILE_USAGE = `  reconcile --date 2026-11-25
         reconciles one day (Beijing time) now and prints the report; exit code 2 when it found
         differences, 3 when it could not check everything (the bill not matched, packets not checked)
  reconcile --from 2026-11-20 --to 2026-11-24
         backfills past days through the Schedule ${RECONCILIATION_SCHEDULE_ID} (one run a day, one after another)`;

export class ReconcileUsageError extends Error {}

export interface ReconcileArgs {
  date?: string;
  from?: string;
  to?: string;
}

interface Io {
  stdout: (line: string) => void;
  /** The Temporal UI's base URL, for links. */
  ui: string;
}

function day(value: string, flag: string): string {
  if (!isBillDate(value))
    throw new ReconcileUsageError(`${flag} must be a day such as 2026-11-25, not ${JSON.stringify(value)}`);
  return value;
}

/** A day that is over in Beijing time: Alipay makes a day's bill the next morning. */
function over(date: string): string {
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  if (date >= today)
    throw new ReconcileUsageError(
      `${date} is not over yet in Beijing time (today is ${today}): Alipay's bill for a day is ready the next morning`,
    );
  return date;
}

/** 2: differences found; 3: none found, but the bill was not matched or packets not checked; 0: clean. */
export function reconcileExitCode(report: DayReconciliation): number {
  if (Object.values(report.differencesByKind).some((count) => count > 0)) return 2;
  return report.bill.status !== 'MATCHED' || report.packetsSkipped > 0 ? 3 : 0;
}

/** Answers the process's exit code. */
export async function runReconcileCommand(args: ReconcileArgs, io: Io): Promise<number> {
  const backfill = args.from !== undefined || args.to !== undefined;
  if (
    backfill === (args.date !== undefined) ||
    (backfill && (args.from === undefined || args.to === undefined))
  )
    throw new ReconcileUsageError(`give --date, or both --from and --to\n${RECONCILE_USAGE}`);
  const temporal = readTemporalConfig();
  const address = temporal.address ?? `127.0.0.1:${readPort(process.env, 'TEMPORAL_DEV_SERVER_PORT', 7233)}`;
  const client = await connectClient(address, temporal.namespace, payloadCodecFromEnv());
  const link = (path: string) => `${io.ui}/namespaces/${temporal.namespace}/${path}`;
  try {
    if (backfill) {
      let days: string[];
      try {
        days = await backfillReconciliation(client, day(args.from!, '--from'), over(day(args.to!, '--to')));
      } catch (error) {
        if (error instanceof RangeError) throw new ReconcileUsageError(error.message);
        throw error;
      }
      io.stdout(
        `Backfill asked of the Schedule ${RECONCILIATION_SCHEDULE_ID}: ${days.length} days, ${days[0]} to ${days.at(-1)}.`,
      );
      io.stdout(`Its runs, one after another: ${link(`schedules/${RECONCILIATION_SCHEDULE_ID}`)}`);
      return 0;
    }
    const date = over(day(args.date!, '--date'));
    const report = await reconcileDayNow(client, date, temporal.taskQueue, (workflowId) =>
      io.stdout(
        `Reconciling ${date} (Beijing time): ${link(`workflows/${workflowId}`)}\n` +
          '(a bill Alipay has not made yet is waited for, up to 12 hours: progress is in the UI)',
      ),
    );
    for (const line of reportLines(report, billSummary(report.bill))) io.stdout(line);
    return reconcileExitCode(report);
  } finally {
    await client.connection.close();
  }
}
