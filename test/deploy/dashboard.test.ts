// The Grafana dashboard and the alert rules against a running stack: a dev server with its own
// metrics, worker/main.ts with its SDK endpoint, and the HTTP server; after a lifecycle and a
// day's reconciliation, every metric any panel or alert queries is in one of the three scrapes.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { parse } from 'yaml';
import { reconcileDayNow } from '../../client/reconciliation-schedule';
import { startDevServer, type RunningDevServer } from '../../embedded/dev-server';
import { beijingDay } from '../../sandbox/bill';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';
import { eventually } from '../helpers/lifecycle-env';
import { freePort } from '../helpers/ports';
import { restartableDevServerOptions } from '../helpers/restartable-dev-server';

const ROOT = join(__dirname, '..', '..');

interface Dashboard {
  uid: string;
  panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
}

const dashboard = JSON.parse(
  readFileSync(join(ROOT, 'observability', 'grafana', 'dashboards', 'red-packets.json'), 'utf8'),
) as Dashboard;
const alerts = parse(readFileSync(join(ROOT, 'observability', 'alerts.yml'), 'utf8')) as {
  groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
};

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'le',
]);

/** The metric names a PromQL expression reads: not its functions, label names, strings or durations. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(?:by|without)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g)]
    .map((match) => match[0])
    .filter((word) => !PROMQL_WORDS.has(word) && !/^\d/.test(word));
}

const dataDir = mkdtempSync(join(tmpdir(), 'dashboard-stack-'));
let server: RunningDevServer;
let serverMetrics: string;
let connection: NativeConnection;
let env: HttpEnv;
let worker: ChildProcessWithoutNullStreams;
let workerMetrics: string;

beforeAll(async () => {
  const options = await restartableDevServerOptions(dataDir);
  const metricsPort = await freePort();
  server = await startDevServer({ ...options, metricsPort });
  serverMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
  connection = await NativeConnection.connect({ address: server.address });
  env = await startHttpEnv(connection, { inProcessWorker: false, sandbox: { billReadiness: 'at-once' } });
  const workerMetricsAddress = `127.0.0.1:${await freePort()}`;
  workerMetrics = `http://${workerMetricsAddress}/metrics`;
  worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: env.taskQueue,
      ALIPAY_GATEWAY: env.sandbox.gatewayUrl,
      ALIPAY_APP_ID: env.sandbox.keys.appId,
      ALIPAY_PRIVATE_KEY_FILE: join(env.sandbox.keys.dir, 'app_private_key.pem'),
      ALIPAY_PUBLIC_KEY_FILE: join(env.sandbox.keys.dir, 'alipay_public_key.pem'),
      ALIPAY_NOTIFY_URL: `${env.webhookUrl}/alipay/notify`,
      WORKER_METRICS_ADDRESS: workerMetricsAddress,
    },
  });
  let output = '';
  worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await eventually(
    async () => output,
    (text) => text.includes('reconciliation Schedule') || worker.exitCode !== null,
    90_000,
  );
  expect(worker.exitCode, output).toBeNull();
}, 180_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
  }
  await env?.close();
  await connection?.close();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function scrapedNames(url: string, token?: string): Promise<Set<string>> {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(response.status, url).toBe(200);
  const text = await response.text();
  return new Set(
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0]),
  );
}

describe('the dashboard and the alerts', () => {
  it('are valid, and every metric they query is in a scrape of the running stack', async () => {
    // A lifecycle through the API: a claim, the expiry, the refund and its notification.
    const { authNo } = await env.openPacket({ amount: '3.00', shares: 3, split: 'fixed', ttlSeconds: 4 });
    expect(
      (
        await env.request('POST', `/red-packets/${authNo}/claims`, {
          claimId: 'd1',
          payeeUserId: '2088000000000991',
        })
      ).status,
    ).toBe(200);
    await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => response.json.status === 'COMPLETED',
      30_000,
    );
    // A day's reconciliation, run by the worker process.
    const temporal = new Client({ connection });
    const report = await reconcileDayNow(temporal, beijingDay(new Date()), env.taskQueue);
    expect(report.packetsChecked).toBe(1);
    // The Schedule the worker made runs now: the HTTP server reads its latest finished run.
    const startedAt = Date.now();
    const schedule = temporal.schedule.getHandle('red-packet-reconciliation');
    await schedule.trigger();
    await eventually(
      async () => (await schedule.describe()).info.recentActions,
      (actions) => actions.length > 0,
      30_000,
    );
    const [action] = (await schedule.describe()).info.recentActions;
    await temporal.workflow.getHandle(action!.action.workflow.workflowId).result();
    await env.packetCounts.refreshed();
    await env.packetCounts.refreshed();
    const ours = await (
      await fetch(`${env.url}/metrics`, { headers: { authorization: `Bearer ${env.token}` } })
    ).text();
    const value = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(ours)?.[1]);
    expect(value('red_packet_reconciliation_bill_matched')).toBe(1);
    expect(value('red_packet_reconciliation_packets_not_checked')).toBe(0);
    expect(value('red_packet_reconciliation_completed_timestamp_seconds')).toBeGreaterThanOrEqual(
      Math.floor(startedAt / 1000),
    );
    expect(ours).toMatch(/^red_packet_reconciliation_differences\{kind="UNKNOWN_TO_US"\} 0$/m);

    const scraped = new Set([
      ...(await scrapedNames(`${env.url}/metrics`, env.token)),
      ...(await scrapedNames(workerMetrics)),
      ...(await scrapedNames(serverMetrics)),
    ]);
    expect(dashboard.uid).toBe('red-packets');
    const queries = [
      ...dashboard.panels.flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
      ),
      ...alerts.groups.flatMap((group) =>
        group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
      ),
    ];
    expect(queries.length).toBeGreaterThanOrEqual(20);
    // Series Prometheus makes itself for every target, not scraped from one.
    const prometheusOwn = new Set(['up']);
    const missing = queries.flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((name) => !scraped.has(name) && !prometheusOwn.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
    // The three sources each answered: ours, the SDK's and the Temporal server's.
    for (const name of [
      'redpacket_claim_answer_seconds_bucket',
      'temporal_workflow_task_schedule_to_start_latency_bucket',
      'service_requests',
    ])
      expect(scraped.has(name), name).toBe(true);
  });

  it('reads metric names out of PromQL, leaving functions, labels and durations', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum(rate(a_bucket{code!="10000", x=~"b|c"}[5m])) by (le, route)) / max(b_total) > 2',
      ),
    ).toEqual(['a_bucket', 'b_total']);
    expect(metricNames('(time() - max(ts_seconds)) / 3600 or 30 * 3600')).toEqual(['ts_seconds']);
  });
});
