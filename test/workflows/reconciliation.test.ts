// The daily reconciliation on the shared dev server: a dozen real lifecycles against the sandbox,
// then ReconcileRedPackets for the day, clean and with each kind of drift the sandbox can make;
// a bill not ready yet; the Schedule and a backfill.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { createReconciliationActivities } from '../../activities/reconciliation';
import {
  backfillReconciliation,
  ensureReconciliationSchedule,
  reconcileDayNow,
} from '../../client/reconciliation-schedule';
import { beijingDay } from '../../sandbox/bill';
import type { RedPacketState } from '../../workflows/messages';
import { DIFFERENCE_KINDS, type DifferenceKind } from '../../workflows/reconciliation-differences';
import {
  RECONCILIATION_WORKFLOW_TYPE,
  reconciliationTaskQueue,
  reconciliationWorkflowId,
  type DayReconciliation,
  type ReconcileInput,
} from '../../workflows/reconciliation-messages';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { expectConserved } from '../helpers/conservation';
import { recordHistory } from '../helpers/history';
import { eventually, startLifecycleEnv, type LifecycleEnv } from '../helpers/lifecycle-env';
import { detailLines, uiMetadata } from '../helpers/ui-metadata';
import { freePort } from '../helpers/ports';
import { RECONCILIATION_SCHEDULE_ID } from '../../workflows/reconciliation-messages';

let temporal: DevServerHandles;
let env: LifecycleEnv;
let reconciliationWorker: Worker;
let reconciliationRun: Promise<void>;
/** The day the lifecycles ran (Beijing time) and their final states. */
let day: string;
let finals: RedPacketState[];

const payee = (i: number) => ({ payeeUserId: `2088${String(i).padStart(12, '0')}` });

async function putSandbox(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${env.sandbox.url}${path}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

const noDrift = () => putSandbox('/sandbox/bills/drift', {});

/**
 * As `redpacket reconcile --date` does (with the test's own retry and run sizes when given); the
 * run's history is kept as a replay fixture under `fixture`.
 */
async function reconcile(extra: Partial<ReconcileInput> = {}, fixture?: string): Promise<DayReconciliation> {
  if (Object.keys(extra).length === 0) {
    const report = await reconcileDayNow(env.temporal, day, env.taskQueue);
    if (fixture) await recordHistory(fixture, env.temporal.workflow.getHandle(reconciliationWorkflowId(day)));
    return report;
  }
  const handle = await env.temporal.workflow.start(RECONCILIATION_WORKFLOW_TYPE, {
    workflowId: `${reconciliationWorkflowId(day)}-${env.taskQueue}-${Date.now()}`,
    taskQueue: env.taskQueue,
    args: [
      {
        day,
        packetTaskQueue: env.taskQueue,
        activityTaskQueue: reconciliationTaskQueue(env.taskQueue),
        ...extra,
      } satisfies ReconcileInput,
    ],
  });
  const report = (await handle.result()) as DayReconciliation;
  if (fixture) await recordHistory(fixture, handle);
  return report;
}

function only(kinds: Partial<Record<DifferenceKind, number>>): Record<DifferenceKind, number> {
  return Object.fromEntries(DIFFERENCE_KINDS.map((kind) => [kind, kinds[kind] ?? 0])) as Record<
    DifferenceKind,
    number
  >;
}

/**
 * What a clean day matches: each of our operations by query (the pay, every settled payout, the
 * refund when one was made), and each bill line (the sandbox's own pays and refunds).
 */
function expectedCounts(): { operations: number; billLines: number } {
  let operations = 0;
  let billLines = 0;
  for (const state of finals) {
    operations += 1 + state.paidCount + state.failedCount + (state.refund?.status === 'SUCCESS' ? 1 : 0);
    billLines += env.sandbox.ledger
      .packet(state.authNo)
      .operations.filter(
        (operation) => operation.status === 'SUCCESS' && operation.operationType !== 'DISBURSE',
      ).length;
  }
  return { operations, billLines };
}

beforeAll(async () => {
  temporal = await connectToDevServer();
  env = await startLifecycleEnv(temporal.client, temporal.nativeConnection, { billReadiness: 'at-once' });
  reconciliationWorker = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue: reconciliationTaskQueue(env.taskQueue),
    activities: createReconciliationActivities(env.gateway, { alipayCallsPerSecond: 50 }),
  });
  reconciliationRun = reconciliationWorker.run();
  day = beijingDay(new Date());

  // A payout Alipay refuses for good: the claim is released (FAILED) and its share refunded.
  env.sandbox.faults.set({ methods: { 'alipay.fund.coupon.order.disburse': { refuseRate: 1 } } });
  const refused = await env.fundAndStart({ totalFen: 600, split: 'fixed', shares: 3, ttlMs: 6_000 });
  await env.packets.claim(refused.authNo, { claimId: 'r1', ...payee(1) });
  await eventually(
    () => env.packets.getState(refused.authNo),
    (state) => state.claims[0]?.status === 'FAILED',
  );
  env.sandbox.faults.set({});

  // Alipay refunds one packet's balance itself at its expiry (a timeout refund, no request of ours).
  const timedOut = await env.fundAndStart({ totalFen: 1000, split: 'claimant', ttlMs: 120_000 });
  await env.packets.claim(timedOut.authNo, { claimId: 't1', ...payee(2), amountFen: 300 });
  await eventually(
    () => env.packets.getState(timedOut.authNo),
    (state) => state.claims[0]?.status === 'PAID',
  );
  expect(
    (await fetch(`${env.sandbox.url}/sandbox/packets/${timedOut.authNo}/expire`, { method: 'POST' })).status,
  ).toBe(200);

  // Ten more: claimed in part and refunded at expiry, or claimed in full (no refund).
  const others = await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      const fully = i % 4 === 0;
      const started = await env.fundAndStart({
        totalFen: 500 + 100 * i,
        split: i % 2 === 0 ? 'fixed' : 'random',
        shares: fully ? 2 : 4,
        ttlMs: 6_000,
      });
      for (let c = 0; c < 2; c++)
        await env.packets.claim(started.authNo, { claimId: `c${c}`, ...payee(100 * i + c + 10) });
      return started;
    }),
  );
  finals = await Promise.all(
    [refused, timedOut, ...others].map(
      ({ authNo }) => env.packets.handle(authNo).result() as Promise<RedPacketState>,
    ),
  );
}, 180_000);

afterAll(async () => {
  reconciliationWorker?.shutdown();
  await reconciliationRun;
  await env?.close();
  await temporal?.close();
});

describe('daily reconciliation', () => {
  it('a clean day of a dozen lifecycles: no difference, every operation matched by query and every bill line', async () => {
    expect(finals).toHaveLength(12);
    for (const state of finals) expectConserved(state, env.sandbox);
    expect(finals.some((state) => state.refund?.source === 'ALIPAY_TIMEOUT')).toBe(true);
    expect(finals.some((state) => state.failedCount > 0)).toBe(true);
    expect(finals.some((state) => state.refund === null)).toBe(true);

    const report = await reconcile({}, 'reconcile-clean-day');
    const { operations, billLines } = expectedCounts();
    expect(report.differencesByKind).toEqual(only({}));
    expect(report.differences).toEqual([]);
    expect(report.packetsChecked).toBe(12);
    expect(report.skipped).toEqual([]);
    expect(report.bill).toEqual({ status: 'MATCHED', lines: billLines });
    // Every operation the sandbox holds was confirmed by query, and every bill line matched one.
    expect(report.operationsMatched).toBe(operations + billLines);

    const handle = env.temporal.workflow.getHandle(reconciliationWorkflowId(day));
    const details = detailLines((await uiMetadata(handle)).currentDetails);
    expect(details.get('Day')).toBe(`${day} (Beijing time)`);
    expect(details.get('Packets checked')).toBe('12');
    expect(details.get('Bill')).toBe(`${billLines} lines, matched`);
    expect(details.get('Differences')).toBe('0');
  });

  it('each kind of drift in the bill is reported with its packet, number and both figures, and nothing else', async () => {
    const paidInPart = finals.find((state) => state.refund?.source === 'MERCHANT' && state.paidFen > 0)!;
    const other = finals.find((state) => state !== paidInPart && state.refund?.source === 'MERCHANT')!;
    const payNumber = env.sandbox.ledger
      .packet(other.authNo)
      .operations.find((operation) => operation.operationType === 'PAY')!.outRequestNo;
    const refundNumber = paidInPart.refund!.outRequestNo;
    await putSandbox('/sandbox/bills/drift', {
      extra: [{ merchantOrderNo: 'NOT_OURS_1', amount: '6.00', direction: 'expense' }],
      amounts: { [refundNumber]: '0.01' },
      lost: [payNumber],
    });
    try {
      const report = await reconcile();
      expect(report.differencesByKind).toEqual(
        only({ UNKNOWN_TO_US: 1, AMOUNT_DIFFERS: 1, UNKNOWN_TO_ALIPAY: 1 }),
      );
      expect(report.differences).toHaveLength(3);
      expect(report.differences).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            kind: 'UNKNOWN_TO_US',
            authNo: null,
            outRequestNo: 'NOT_OURS_1',
            ours: 'not booked',
            alipay: expect.stringContaining('paid 600 fen'),
            source: 'BILL',
          }),
          {
            kind: 'AMOUNT_DIFFERS',
            authNo: paidInPart.authNo,
            outRequestNo: refundNumber,
            ours: `${paidInPart.refund!.amountFen} fen`,
            alipay: '1 fen',
            source: 'BILL',
          },
          {
            kind: 'UNKNOWN_TO_ALIPAY',
            authNo: other.authNo,
            outRequestNo: payNumber,
            ours: `${other.totalFen} fen`,
            alipay: 'not in the bill',
            source: 'BILL',
          },
        ]),
      );
    } finally {
      await noDrift();
    }
  });

  it('continues as new across runs of a few packets each, and reports the same as one run', async () => {
    const report = await reconcile({ packetsPerRun: 5 }, 'reconcile-last-of-continued-runs');
    expect(report.packetsChecked).toBe(12);
    expect(report.differencesByKind).toEqual(only({}));
    expect(report.operationsMatched).toBe(expectedCounts().operations + expectedCounts().billLines);
    const runs = await env.temporal.workflow.count(
      `WorkflowType = '${RECONCILIATION_WORKFLOW_TYPE}' AND ExecutionStatus = 'ContinuedAsNew' AND TaskQueue = '${env.taskQueue}'`,
    );
    expect(runs.count).toBeGreaterThanOrEqual(2);
  });

  it('a bill not ready yet is asked for again, not taken as empty; once ready it is matched', async () => {
    await putSandbox('/sandbox/bills', { readiness: 'next-day' });
    const pending = reconcile(
      { billRetry: { intervalSeconds: 1, attempts: 60 } },
      'reconcile-bill-not-ready-then-matched',
    );
    try {
      // The run waits on the bill, and says so in the UI.
      await eventually(
        async () => {
          const runs = await env.temporal.workflow.list({
            query: `WorkflowType = '${RECONCILIATION_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND TaskQueue = '${env.taskQueue}'`,
          });
          for await (const run of runs) {
            const details = detailLines(
              (await uiMetadata(env.temporal.workflow.getHandle(run.workflowId))).currentDetails,
            );
            return details.get('Bill') ?? '';
          }
          return '';
        },
        (bill) => bill.startsWith('not ready yet (attempt 2'),
        30_000,
      );
    } finally {
      await putSandbox('/sandbox/bills', { readiness: 'at-once' });
    }
    const report = await pending;
    expect(report.bill).toEqual({ status: 'MATCHED', lines: expectedCounts().billLines });
    expect(report.differencesByKind).toEqual(only({}));
  });

  it('a bill still not ready after its attempts is reported NOT_READY, with no line of ours missing', async () => {
    await putSandbox('/sandbox/bills', { readiness: 'next-day' });
    try {
      const report = await reconcile({ billRetry: { intervalSeconds: 1, attempts: 2 } });
      expect(report.bill).toMatchObject({ status: 'NOT_READY' });
      expect(report.bill.status === 'NOT_READY' && report.bill.detail).toContain(
        `no signcustomer bill for ${day}`,
      );
      expect(report.differencesByKind).toEqual(only({}));
      // Only the queries matched: nothing was matched, or missed, against a bill that is not there.
      expect(report.operationsMatched).toBe(expectedCounts().operations);
    } finally {
      await putSandbox('/sandbox/bills', { readiness: 'at-once' });
    }
  });
});

describe('the reconciliation Schedule', () => {
  it('is created once, left alone at the next start, updated when the cron changes; a backfill of two past days runs both', async () => {
    const scheduleId = `reconciliation-${env.taskQueue}`;
    const options = { taskQueue: env.taskQueue, cron: '0 10 * * *', scheduleId };
    expect(await ensureReconciliationSchedule(env.temporal, options)).toBe('created');
    try {
      expect(await ensureReconciliationSchedule(env.temporal, options)).toBe('unchanged');
      expect(await ensureReconciliationSchedule(env.temporal, { ...options, cron: '30 9 * * *' })).toBe(
        'updated',
      );
      const described = await env.temporal.schedule.getHandle(scheduleId).describe();
      expect(described.action.type === 'startWorkflow' && described.action.memo).toEqual({
        reconcileCron: '30 9 * * *',
      });
      expect(described.spec.timezone).toBe('Asia/Shanghai');
      expect(described.policies.overlap).toBe('BUFFER_ALL');
      expect(await ensureReconciliationSchedule(env.temporal, { ...options, cron: '30 9 * * *' })).toBe(
        'unchanged',
      );

      const days = await backfillReconciliation(env.temporal, '2026-11-20', '2026-11-21', scheduleId);
      expect(days).toEqual(['2026-11-20', '2026-11-21']);
      const reports = await eventually(
        async () => {
          const found: DayReconciliation[] = [];
          for await (const run of env.temporal.workflow.list({
            query: `TemporalScheduledById = '${scheduleId}' AND ExecutionStatus = 'Completed'`,
          }))
            found.push(
              (await env.temporal.workflow
                .getHandle(run.workflowId, run.runId)
                .result()) as DayReconciliation,
            );
          return found;
        },
        (found) => found.length >= 2,
        60_000,
      );
      expect(reports.map((report) => report.day).sort()).toEqual(['2026-11-20', '2026-11-21']);
      // Past days: the packets of today were checked by query, and their pays are on no past bill.
      for (const report of reports) {
        expect(report.bill).toEqual({ status: 'MATCHED', lines: 0 });
        expect(report.differencesByKind).toEqual(only({}));
      }
    } finally {
      await env.temporal.schedule.getHandle(scheduleId).delete();
    }
  });
});

describe('the worker process', () => {
  it('runs the reconciliation, makes its Schedule, and shows its Alipay calls by method and code, in seconds, on its metrics endpoint', async () => {
    const taskQueue = `${env.taskQueue}-process`;
    const metricsAddress = `127.0.0.1:${await freePort()}`;
    const worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: join(__dirname, '..', '..'),
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: taskQueue,
        ALIPAY_GATEWAY: env.sandbox.gatewayUrl,
        ALIPAY_APP_ID: env.sandbox.keys.appId,
        ALIPAY_PRIVATE_KEY_FILE: join(env.sandbox.keys.dir, 'app_private_key.pem'),
        ALIPAY_PUBLIC_KEY_FILE: join(env.sandbox.keys.dir, 'alipay_public_key.pem'),
        WORKER_METRICS_ADDRESS: metricsAddress,
        RECONCILE_CRON: '15 10 * * *',
      },
    });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    try {
      await eventually(
        async () => output,
        (text) =>
          text.includes('reconciliation Schedule red-packet-reconciliation') || worker.exitCode !== null,
        90_000,
      );
      expect(output).toMatch(
        /reconciliation Schedule red-packet-reconciliation (created|updated): 15 10 \* \* \* Asia\/Shanghai/,
      );
      const schedule = await env.temporal.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).describe();
      expect(schedule.action.type === 'startWorkflow' && schedule.action.taskQueue).toBe(taskQueue);

      await putSandbox('/sandbox/bills/drift', {
        extra: [
          { merchantOrderNo: 'NOT_OURS_2', amount: '1.00', direction: 'income' },
          { merchantOrderNo: 'NOT_OURS_3', amount: '2.00', direction: 'expense' },
        ],
      });
      const handle = await env.temporal.workflow.start(RECONCILIATION_WORKFLOW_TYPE, {
        workflowId: `reconcile-by-process-${taskQueue}`,
        taskQueue,
        args: [
          {
            day,
            packetTaskQueue: env.taskQueue,
            activityTaskQueue: reconciliationTaskQueue(taskQueue),
          } satisfies ReconcileInput,
        ],
      });
      const report = (await handle.result()) as DayReconciliation;
      expect(report.differencesByKind).toEqual(only({ UNKNOWN_TO_US: 2 }));
      const scraped = await (await fetch(`http://${metricsAddress}/metrics`)).text();
      // Its Alipay calls, by method and result code (10000: success), beside the SDK's own metrics.
      const calls = (method: string) =>
        [...scraped.matchAll(/^redpacket_alipay_call_seconds_count\{([^}]*)\} (\d+)$/gm)]
          .filter(([, labels]) => labels!.includes(`method="${method}"`) && labels!.includes('code="10000"'))
          .reduce((sum, [, , count]) => sum + Number(count), 0);
      expect(calls('alipay.fund.coupon.operation.query')).toBeGreaterThanOrEqual(12);
      expect(calls('alipay.data.dataservice.bill.downloadurl.query')).toBe(1);
      // Buckets in seconds (the runtime's defaults are milliseconds: every call would fall in 50).
      expect(scraped).toMatch(/^redpacket_alipay_call_seconds_bucket\{[^}]*le="0\.25"[^}]*\} \d+$/m);
      expect(scraped).not.toMatch(/^redpacket_alipay_call_seconds_bucket\{[^}]*le="2500"/m);
    } finally {
      await noDrift();
      worker.kill('SIGTERM');
      await exited;
      await env.temporal.schedule
        .getHandle(RECONCILIATION_SCHEDULE_ID)
        .delete()
        .catch(() => undefined);
    }
  }, 150_000);
});
