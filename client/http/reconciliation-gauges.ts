// The reconciliation gauges: the latest run of the Schedule red-packet-reconciliation that finished,
// read from Temporal on the HTTP server's interval. One answer for every scraper, whichever worker
// ran the day; a backfilled day (scheduled earlier) never takes the place of the latest.
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { DIFFERENCE_KINDS } from '../../workflows/reconciliation-differences';
import { RECONCILIATION_SCHEDULE_ID, type DayReconciliation } from '../../workflows/reconciliation-messages';
import type { Metrics } from './metrics';

/** Recent actions looked at, newest first, for one that has finished. */
const ACTIONS_LOOKED_AT = 5;

/**
 * Sets the gauges from the newest finished run. `shown` is the run they show now: it is not read
 * again (a finished run's report never changes). Answers the run shown after this refresh.
 */
export async function refreshReconciliationGauges(
  temporal: Client,
  metrics: Metrics,
  shown?: string,
): Promise<string | undefined> {
  let actions;
  try {
    actions = (await temporal.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).describe()).info.recentActions;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return shown;
    throw error;
  }
  const newestFirst = [...actions].sort((a, b) => b.scheduledAt.getTime() - a.scheduledAt.getTime());
  for (const action of newestFirst.slice(0, ACTIONS_LOOKED_AT)) {
    const { workflowId } = action.action.workflow;
    if (workflowId === shown) return shown;
    const handle = temporal.workflow.getHandle(workflowId);
    const description = await handle.describe();
    if (description.status.name !== 'COMPLETED') continue;
    const report = (await handle.result()) as DayReconciliation;
    for (const kind of DIFFERENCE_KINDS)
      metrics.reconciliationDifferences.set({ kind }, report.differencesByKind[kind]);
    metrics.reconciliationBillMatched.set(report.bill.status === 'MATCHED' ? 1 : 0);
    metrics.reconciliationPacketsNotChecked.set(report.packetsSkipped);
    metrics.reconciliationCompleted.set(Math.floor((description.closeTime ?? new Date()).getTime() / 1000));
    return workflowId;
  }
  return shown;
}
