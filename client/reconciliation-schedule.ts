// The Schedule that runs ReconcileRedPackets every day, created or brought up to date by every
// worker at start (idempotent: many workers, one Schedule), and the on-demand runs of the CLI.
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  WorkflowIdReusePolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import { ConfigError } from '../config/errors';
import {
  DEFAULT_RECONCILE_CRON,
  RECONCILE_TIMEZONE,
  RECONCILIATION_SCHEDULE_ID,
  RECONCILIATION_WORKFLOW_TYPE,
  reconciliationTaskQueue,
  reconciliationWorkflowId,
  type DayReconciliation,
  type ReconcileInput,
} from '../workflows/reconciliation-messages';

const CATCHUP_WINDOW = '7 days';
const CATCHUP_WINDOW_MS = 7 * 86_400_000;

/** RECONCILE_CRON: five cron fields, read in Asia/Shanghai time; default daily at 10:00. */
export function readReconcileCron(env: Readonly<Record<string, string | undefined>>): string {
  const cron = env.RECONCILE_CRON?.trim() || DEFAULT_RECONCILE_CRON;
  if (!/^\S+( \S+){4}$/.test(cron))
    throw new ConfigError(
      'RECONCILE_CRON',
      `must be five cron fields (minute hour day month weekday, Asia/Shanghai time), not ${JSON.stringify(cron)}`,
    );
  return cron;
}

export interface ReconciliationScheduleOptions {
  /** The packets' task queue; the Schedule's workflow runs there, its activities beside it. */
  taskQueue: string;
  cron: string;
  /** RECONCILIATION_SCHEDULE_ID unless a test keeps its own. */
  scheduleId?: string;
}

function reconcileInput(taskQueue: string): ReconcileInput {
  return { packetTaskQueue: taskQueue, activityTaskQueue: reconciliationTaskQueue(taskQueue) };
}

function scheduleOptions(options: ReconciliationScheduleOptions): ScheduleOptions {
  const scheduleId = options.scheduleId ?? RECONCILIATION_SCHEDULE_ID;
  return {
    scheduleId,
    spec: { cronExpressions: [options.cron], timezone: RECONCILE_TIMEZONE },
    action: {
      type: 'startWorkflow',
      workflowType: RECONCILIATION_WORKFLOW_TYPE,
      workflowId: scheduleId,
      taskQueue: options.taskQueue,
      args: [reconcileInput(options.taskQueue)],
      // What the Schedule was made from, to tell at the next start whether it must change.
      memo: { reconcileCron: options.cron },
    },
    policies: {
      // Each run reconciles the day before its own scheduled time: runs that come due while one
      // is still going (days missed while the cluster was down, caught up within 7 days) wait
      // their turn instead of being skipped, which would leave their days unreconciled.
      overlap: ScheduleOverlapPolicy.BUFFER_ALL,
      catchupWindow: CATCHUP_WINDOW,
    },
  };
}

/**
 * Creates the Schedule, or updates it when its cron or task queue changed. Workers starting
 * together race here: a create or update that loses is looked at again (three times at most).
 */
export async function ensureReconciliationSchedule(
  client: Client,
  options: ReconciliationScheduleOptions,
): Promise<'created' | 'updated' | 'unchanged'> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createOrUpdate(client, options);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

async function createOrUpdate(
  client: Client,
  options: ReconciliationScheduleOptions,
): Promise<'created' | 'updated' | 'unchanged'> {
  const wanted = scheduleOptions(options);
  try {
    await client.schedule.create(wanted);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(wanted.scheduleId);
  const current = await handle.describe();
  const action = current.action;
  const same =
    action.type === 'startWorkflow' &&
    action.workflowType === RECONCILIATION_WORKFLOW_TYPE &&
    action.taskQueue === options.taskQueue &&
    action.memo?.reconcileCron === options.cron &&
    JSON.stringify(action.args) === JSON.stringify(wanted.action.args) &&
    current.spec.timezone === RECONCILE_TIMEZONE &&
    current.policies.overlap === ScheduleOverlapPolicy.BUFFER_ALL &&
    current.policies.catchupWindow === CATCHUP_WINDOW_MS;
  if (same) return 'unchanged';
  await handle.update((previous) => ({
    ...previous,
    spec: wanted.spec,
    action: wanted.action,
    policies: wanted.policies,
  }));
  return 'updated';
}

/**
 * At a worker's start: the Schedule brought up to date, and its outcome told. While that fails
 * (Temporal briefly away, a cron it refuses), it is tried again every minute in the background:
 * the payments worker runs either way.
 */
export async function keepReconciliationSchedule(
  client: Client,
  options: ReconciliationScheduleOptions,
  say: (line: string) => void,
  retryMs = 60_000,
): Promise<void> {
  const scheduleId = options.scheduleId ?? RECONCILIATION_SCHEDULE_ID;
  try {
    const outcome = await ensureReconciliationSchedule(client, options);
    say(`Schedule ${scheduleId} ${outcome}: ${options.cron} ${RECONCILE_TIMEZONE}`);
  } catch (error) {
    say(
      `warning: Schedule ${scheduleId} not set up (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); trying again in ${retryMs / 1000} s`,
    );
    setTimeout(() => void keepReconciliationSchedule(client, options, say, retryMs), retryMs).unref();
  }
}

/** The Beijing days from `from` to `to`, inclusive (at most `max`). */
export function daysBetween(from: string, to: string, max = 366): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end)) throw new RangeError('days must be yyyy-MM-dd');
  if (end < start) throw new RangeError(`--to ${to} is before --from ${from}`);
  const count = (end - start) / 86_400_000 + 1;
  if (count > max) throw new RangeError(`at most ${max} days at once, not ${count}`);
  return Array.from({ length: count }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

/**
 * Past days through the Schedule: each of its runs reconciles the day before its scheduled time,
 * so the runs between the day after `from` and the day after `to` cover from..to.
 */
export async function backfillReconciliation(
  client: Client,
  from: string,
  to: string,
  scheduleId = RECONCILIATION_SCHEDULE_ID,
): Promise<string[]> {
  const days = daysBetween(from, to);
  const dayAfter = (day: string) => new Date(Date.parse(`${day}T00:00:00+08:00`) + 86_400_000);
  await client.schedule.getHandle(scheduleId).backfill({
    // A backfill's start is exclusive: a second earlier keeps a run due at midnight of the first day.
    start: new Date(dayAfter(from).getTime() - 1000),
    end: new Date(dayAfter(to).getTime() + 86_400_000 - 1000),
    // Every day runs, one after another, whatever the Schedule's own overlap policy.
    overlap: ScheduleOverlapPolicy.BUFFER_ALL,
  });
  return days;
}

/** Reconciles one day now (or joins the run already reconciling it) and answers its report. */
export async function reconcileDayNow(
  client: Client,
  day: string,
  taskQueue: string,
  onStarted: (workflowId: string) => void = () => {},
): Promise<DayReconciliation> {
  const handle = await client.workflow.start(RECONCILIATION_WORKFLOW_TYPE, {
    workflowId: reconciliationWorkflowId(day),
    taskQueue,
    args: [{ ...reconcileInput(taskQueue), day }],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  onStarted(handle.workflowId);
  return (await handle.result()) as DayReconciliation;
}
