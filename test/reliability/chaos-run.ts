// The reliability run: many lifecycles through the HTTP API while the worker is SIGKILLed and
// restarted, the Temporal server is stopped and restarted, and the sandbox injects faults.
// Used by test/reliability/reliability.test.ts (reduced in `npm test`, full in
// `npm run test:reliability`).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { temporal as proto } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { AlipayGateway } from '../../alipay/gateway';
import { agreementPay, queryOperation } from '../../alipay/methods';
import { startListeners } from '../../client/http/listeners';
import { DEFAULT_LISTENER_LIMITS } from '../../config/env';
import { createTestKeys } from '../helpers/api-keys';
import { createOrderClient } from '../../client/order-client';
import { createRedPacketClient, type RedPacketClient } from '../../client/red-packet-client';
import { connectClient } from '../../client/temporal-connection';
import { restartable, startProcess, type Restartable } from '../../cluster/processes';
import { startDevServer, type RunningDevServer } from '../../embedded/dev-server';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../sandbox/server';
import { runChain } from '../helpers/history';
import { WORKFLOWS_PATH } from '../helpers/lifecycle-env';
import { freePort } from '../helpers/ports';
import { restartableDevServerOptions } from '../helpers/restartable-dev-server';

const ROOT = join(__dirname, '..', '..');
/** How long one request of the run is retried (5xx, 429, timeouts) before the run gives up on it. */
const API_PATIENCE_MS = 180_000;
/**
 * How long a packet may take to open: the funding check retries for about eight minutes
 * (workflows/activity-proxies.ts) before it rejects, and under this run's faults an unlucky one
 * can need several of those minutes.
 */
const OPENING_PATIENCE_MS = 540_000;

/** Alipay as the chaos run meets it, on the dev server and on the cluster alike. */
export const CHAOS_SANDBOX: Omit<SandboxOptions, 'keyDir' | 'port'> = {
  timeScale: 0.001,
  // Alipay's own expiry of a pay, on the run's compressed clock: 15 minutes, longer than the
  // funding check's retries. At the default 48 h (173 s here) a packet whose check rode out the
  // outages was overtaken by Alipay's timeout refund and rightly rejected, which is not what the
  // run measures.
  defaultLifetimeMs: 900_000 / 0.001,
  faults: {
    methods: {
      '*': { unavailableRate: 0.2, lostResponseRate: 0.05 },
      // Some payouts get no answer and land 3 s later: only a later query or resend sees them.
      'alipay.fund.coupon.order.disburse': { lateApplyRate: 0.05, lateApplyMs: 3000 },
    },
    notify: { dropRate: 0.1, duplicateRate: 0.1, earlyRate: 0.1 },
  },
};

/** Dropped notifications are part of the run: the packets ask Alipay after 5 s rather than 10 minutes. */
export const CHAOS_REFUND_NOTIFY_WAIT_MS = 5000;

/** What a chaos run drives and breaks: the dev server's shape or the cluster's. */
export interface ChaosStack {
  /** The run's own view of Temporal: packet states, histories to replay. */
  temporal: Client;
  packets: RedPacketClient;
  /** The HTTP API's base URLs: a run's requests take turns among them. */
  apiUrls: string[];
  apiToken: string;
  notifyUrl: string;
  sandbox: RunningSandbox;
  /** The workflow bundle every worker of the run executes (its histories replay with it). */
  bundlePath: string;
  /** SIGKILLed at random moments and started again. */
  workers: Restartable[];
  httpServers: Restartable[];
  /** Taken down one after another halfway through the run, each for `outageMs`, and brought back. */
  outages: Array<{ part: 'temporal' | 'postgres'; stop(): Promise<void>; start(): Promise<void> }>;
  close(): Promise<void>;
}

export interface ChaosOptions {
  lifecycles: number;
  claimsPerLifecycle: number;
  /** Worker kills happen at random intervals in this range (ms). */
  killEveryMs: [number, number];
  /** HTTP server kills (when the stack has HTTP server processes), at random intervals (ms). */
  httpKillEveryMs?: [number, number];
  outageMs: number;
  deadlineMs: number;
  log: (line: string) => void;
}

export interface ChaosReport {
  started: number;
  completed: number;
  stuck: number;
  paidTwice: number;
  refundedTwice: number;
  notConserved: number;
  workerKills: number;
  httpServerKills: number;
  temporalRestarts: number;
  postgresRestarts: number;
  /** Lifecycles the run could not drive to the end of their claims (each logged with why). */
  notDriven: number;
  claimsAccepted: number;
  /** Accepted claims by the HTTP server that answered them. */
  acceptedByServer: Record<string, number>;
  /** Packets whose accepted claims were answered by more than one HTTP server. */
  packetsClaimedThroughSeveralServers: number;
  /** A killed worker or HTTP server that did not come back (each logged). */
  restartFailures: number;
  claimsPaid: number;
  refundsBySource: Record<string, number>;
  /**
   * Packet histories that do not replay with the workflow code that wrote them: a worker that
   * picks such a packet up fails every workflow task on it (nondeterminism).
   */
  unreplayable: number;
  /** From a claim's accepted answer to its payout settled (PAID or FAILED), as polled each second. */
  claimToSettledMs: { p99: number; max: number; settled: number; unsettled: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Replays every run of every packet with the run's workflow bundle; saves and logs each that fails. */
async function countUnreplayable(
  temporal: Client,
  authNos: string[],
  bundlePath: string,
  log: (line: string) => void,
): Promise<number> {
  const workflowBundle = { code: readFileSync(bundlePath, 'utf8') };
  let unreplayable = 0;
  // Every run of each packet: a continued packet's first run holds its opening.
  const runs: Array<{ authNo: string; runId: string }> = [];
  for (const authNo of authNos)
    for (const { runId } of await runChain(temporal, `red-packet-${authNo}`)) runs.push({ authNo, runId });
  for (const { authNo, runId } of runs) {
    const history = await temporal.workflow.getHandle(`red-packet-${authNo}`, runId).fetchHistory();
    try {
      await Worker.runReplayHistory({ workflowBundle }, history, `red-packet-${authNo}`);
    } catch (error) {
      unreplayable += 1;
      const historyFile = join(tmpdir(), `chaos-history-${authNo}-${runId}.binpb`);
      writeFileSync(historyFile, proto.api.history.v1.History.encode(history).finish());
      log(
        `history of ${authNo} does not replay (saved in ${historyFile}): ${error instanceof Error ? error.message.slice(0, 600) : String(error)}`,
      );
    }
  }
  return unreplayable;
}
const between = ([low, high]: [number, number]) => low + Math.random() * (high - low);

/** The workflow code, bundled once for the run: every worker start takes a second, and replays use it. */
export async function writeWorkflowBundle(path: string, log: (line: string) => void): Promise<void> {
  const quiet = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: log,
    error: log,
    log: () => undefined,
  };
  writeFileSync(path, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet })).code);
}

/**
 * The dev server's shape: a restartable dev server on SQLite, one worker process, the HTTP
 * listeners in this process.
 */
export async function startDevChaosStack(log: (line: string) => void): Promise<ChaosStack> {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-'));
  const cleanups: Array<() => Promise<unknown> | unknown> = [
    () => rmSync(dir, { recursive: true, force: true }),
  ];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse())
      await Promise.resolve(cleanup()).catch(() => undefined);
  };
  try {
    const devOptions = await restartableDevServerOptions(dir);
    let temporalServer: RunningDevServer = await startDevServer(devOptions);
    cleanups.push(() => temporalServer.stop());
    const sandbox = await startSandbox({ ...CHAOS_SANDBOX, keyDir: join(dir, 'sandbox') });
    cleanups.push(() => sandbox.close());
    const temporal = await connectClient(temporalServer.address, 'default');
    cleanups.push(() => temporal.connection.close());
    const taskQueue = `chaos-${Date.now()}`;
    const packets = createRedPacketClient(temporal, taskQueue);
    const keys = createTestKeys();
    cleanups.push(() => keys.store.close());
    const listener = { host: '127.0.0.1', port: 0, limits: DEFAULT_LISTENER_LIMITS };
    const listeners = await startListeners({
      config: { api: listener, webhook: listener, run: { api: true, webhook: true }, trustProxy: undefined },
      temporal,
      packets,
      orders: createOrderClient(temporal, taskQueue),
      alipay: { appId: sandbox.keys.appId, alipayPublicKey: sandbox.keys.alipayPublicKey },
      keys: keys.store,
      settings: { refundNotifyWaitMs: CHAOS_REFUND_NOTIFY_WAIT_MS },
      // The API's own 5xx, with the error behind it, into the run's log (level 50 is pino's error).
      logger: {
        stream: {
          write: (line: string) => {
            if (line.includes('"level":50')) log(`API error: ${line.slice(0, 2000)}`);
          },
        },
      },
    });
    cleanups.push(() => listeners.close());
    const notifyUrl = `${listeners.webhook!.url}/alipay/notify`;
    const bundlePath = join(dir, 'workflow-bundle.js');
    await writeWorkflowBundle(bundlePath, log);
    // The workers' output outlives the run (its directory does not): a failing workflow task's
    // stack is there.
    const workerLog = join(tmpdir(), `chaos-workers-${Date.now()}.log`);
    log(`worker output: ${workerLog}`);
    const workerEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      ALIPAY_GATEWAY: sandbox.gatewayUrl,
      ALIPAY_APP_ID: sandbox.keys.appId,
      ALIPAY_PRIVATE_KEY_FILE: join(sandbox.keys.dir, 'app_private_key.pem'),
      ALIPAY_PUBLIC_KEY_FILE: join(sandbox.keys.dir, 'alipay_public_key.pem'),
      ALIPAY_NOTIFY_URL: notifyUrl,
      WORKFLOW_BUNDLE_PATH: bundlePath,
      WORKER_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    };
    const worker = restartable({
      start: () =>
        startProcess({
          name: 'worker',
          command: process.execPath,
          args: ['--import', 'tsx', 'worker/main.ts'],
          cwd: ROOT,
          env: workerEnv,
          logFile: workerLog,
        }),
      // Started while the Temporal server is away, it exits; a supervisor starts it again.
      supervise: true,
      say: log,
    });
    cleanups.push(() => worker.kill());
    return {
      temporal,
      packets,
      apiUrls: [listeners.api!.url],
      apiToken: keys.token,
      notifyUrl,
      sandbox,
      bundlePath,
      workers: [worker],
      httpServers: [],
      outages: [
        {
          part: 'temporal',
          stop: () => temporalServer.stop(),
          start: async () => {
            temporalServer = await startDevServer(devOptions);
          },
        },
      ],
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!;

export async function runChaos(options: ChaosOptions, stack: ChaosStack): Promise<ChaosReport> {
  const { temporal, packets, sandbox } = stack;
  const merchant = new AlipayGateway({
    gateway: sandbox.gatewayUrl,
    appId: sandbox.keys.appId,
    privateKey: sandbox.keys.appPrivateKey,
    alipayPublicKey: sandbox.keys.alipayPublicKey,
  });
  const notifyUrl = stack.notifyUrl;
  let chaosOn = true;
  let watching = true;
  const monkeys: Array<Promise<void>> = [];
  try {
    const report: ChaosReport = {
      started: 0,
      completed: 0,
      stuck: 0,
      paidTwice: 0,
      refundedTwice: 0,
      notConserved: 0,
      workerKills: 0,
      httpServerKills: 0,
      temporalRestarts: 0,
      postgresRestarts: 0,
      claimToSettledMs: { p99: 0, max: 0, settled: 0, unsettled: 0 },
      unreplayable: 0,
      notDriven: 0,
      claimsAccepted: 0,
      claimsPaid: 0,
      refundsBySource: {},
      restartFailures: 0,
      acceptedByServer: {},
      packetsClaimedThroughSeveralServers: 0,
    };
    // A random moment: any activity, update, workflow task or HTTP request may be in flight.
    const monkey = (
      targets: Restartable[],
      everyMs: [number, number],
      restartAfterMs: number,
      count: () => void,
    ) =>
      (async () => {
        while (chaosOn && targets.length > 0) {
          await sleep(between(everyMs));
          if (!chaosOn) break;
          const target = pick(targets);
          // Only a kill of a running process counts (a supervisor may be restarting this one).
          if (!target.running()) continue;
          await target.kill();
          count();
          await sleep(restartAfterMs);
          await target.start().catch((error: unknown) => {
            report.restartFailures += 1;
            options.log(`${target.name} did not start again: ${String(error)}`);
          });
        }
      })();
    monkeys.push(monkey(stack.workers, options.killEveryMs, 300, () => (report.workerKills += 1)));
    if (options.httpKillEveryMs)
      monkeys.push(
        monkey(stack.httpServers, options.httpKillEveryMs, 1000, () => (report.httpServerKills += 1)),
      );

    let turn = 0;
    const api = async (
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; json: Record<string, unknown>; apiUrl: string }> => {
      const giveUpAt = Date.now() + API_PATIENCE_MS;
      let last = 'no answer';
      while (Date.now() < giveUpAt) {
        try {
          // Requests take turns among the HTTP servers; a retry goes to the next one.
          const apiUrl = stack.apiUrls[turn++ % stack.apiUrls.length]!;
          const response = await fetch(`${apiUrl}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${stack.apiToken}`,
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(60_000),
          });
          const json = (await response.json()) as Record<string, unknown>;
          // 5xx: Temporal may be down right now; 429: too many at once. A careful caller retries the
          // same request.
          if (response.status < 500 && response.status !== 429)
            return { status: response.status, json, apiUrl };
          last = `${response.status} ${JSON.stringify(json).slice(0, 300)}`;
        } catch (error) {
          // timed out or refused: retry the same request
          last = error instanceof Error ? error.message : String(error);
        }
        await sleep(500);
      }
      throw new Error(
        `${method} ${path}: no answer but 5xx or 429 for ${API_PATIENCE_MS / 1000} s (last: ${last})`,
      );
    };

    const authNos: string[] = [];
    /** By `<auth_no>/<claimId>`: when the claim was answered accepted, and when its payout settled. */
    const acceptedAt = new Map<string, number>();
    const settledAt = new Map<string, number>();
    const settlementWatch = (async () => {
      while (watching) {
        const waiting = new Set(
          [...acceptedAt.keys()].filter((key) => !settledAt.has(key)).map((key) => key.split('/')[0]!),
        );
        // Each packet read on its own, at most 2 s: a read waiting on a killed worker delays no other.
        await Promise.all(
          [...waiting].map(async (authNo) => {
            const state = await temporal
              .withDeadline(Date.now() + 2000, () => packets.getState(authNo))
              .catch(() => undefined);
            const now = Date.now();
            for (const claim of state?.claims ?? []) {
              const key = `${authNo}/${claim.claimId}`;
              if (claim.status !== 'PENDING' && acceptedAt.has(key) && !settledAt.has(key))
                settledAt.set(key, now);
            }
          }),
        );
        await sleep(1000);
      }
    })();
    const runOne = async (index: number): Promise<void> => {
      const outOrderNo = `CHAOS${Date.now()}${index}`;
      const closedByMerchant = index % 2 === 0;
      // The payer's pay call, sent until settled: same numbers again, or found by query when lost.
      const payRequest = {
        outOrderNo,
        outRequestNo: `${outOrderNo}P`,
        orderTitle: 'chaos',
        amount: 1000,
        payerUserId: '2088000000000001',
      };
      let pay: { authNo: string } | undefined;
      for (let attempt = 0; !pay; attempt++) {
        if (attempt === 100) throw new Error(`pay ${outOrderNo}: not settled in 100 attempts`);
        pay = await agreementPay(merchant, payRequest, { notifyUrl }).catch(async () =>
          queryOperation(merchant, { outOrderNo, outRequestNo: payRequest.outRequestNo }).catch(
            () => undefined,
          ),
        );
      }
      authNos.push(pay.authNo);
      const created = await api('POST', '/red-packets', {
        authNo: pay.authNo,
        outOrderNo,
        payOutRequestNo: payRequest.outRequestNo,
        amount: '10.00',
        shares: options.claimsPerLifecycle + 2,
        split: 'random',
        // Half the packets are closed by the merchant once their claims are in, half expire.
        ttlSeconds: closedByMerchant ? 600 : 20,
      });
      if (created.status !== 201 && created.status !== 200)
        throw new Error(`create ${created.status} ${JSON.stringify(created.json)}`);
      report.started += 1;
      // Alipay may be failing right now: the packet opens once the funding query gets through.
      const openBy = Date.now() + OPENING_PATIENCE_MS;
      for (let status = created.json.status; status === 'VERIFYING_FUNDING';) {
        if (Date.now() > openBy) throw new Error(`${pay.authNo}: still VERIFYING_FUNDING`);
        await sleep(500);
        status = (await api('GET', `/red-packets/${pay.authNo}`)).json.status;
      }
      const servers = new Set<string>();
      for (let claim = 0; claim < options.claimsPerLifecycle; claim++) {
        const body = {
          claimId: `c${claim}`,
          payeeUserId: `2088${String(index * 100 + claim).padStart(12, '0')}`,
        };
        const answer = await api('POST', `/red-packets/${pay.authNo}/claims`, body);
        if (answer.status === 200) {
          report.claimsAccepted += 1;
          report.acceptedByServer[answer.apiUrl] = (report.acceptedByServer[answer.apiUrl] ?? 0) + 1;
          servers.add(answer.apiUrl);
        }
        if (answer.status === 200) acceptedAt.set(`${pay.authNo}/${body.claimId}`, Date.now());
        else {
          const now = await api('GET', `/red-packets/${pay.authNo}`);
          options.log(
            `claim ${body.claimId} on ${pay.authNo} answered ${answer.status} ${JSON.stringify(answer.json)}; ` +
              `packet ${String(now.json.status)}, expires ${String(now.json.expiresAt)}, now ${new Date().toISOString()}, closedByMerchant ${closedByMerchant}`,
          );
        }
        if (claim === 0) await api('POST', `/red-packets/${pay.authNo}/claims`, body); // a client retry
      }
      if (servers.size > 1) report.packetsClaimedThroughSeveralServers += 1;
      if (closedByMerchant) await api('POST', `/red-packets/${pay.authNo}/refund`);
    };

    const starts = Array.from({ length: options.lifecycles }, (_, index) =>
      sleep(index * 150)
        .then(() => runOne(index))
        .catch((error: unknown) => {
          report.notDriven += 1;
          options.log(
            `lifecycle ${index} not driven: ${error instanceof Error ? error.message : String(error)}`,
          );
        }),
    );
    // Halfway through, each outage in turn: the part goes away for a while and comes back.
    const outages = (async () => {
      await sleep(options.lifecycles * 75);
      for (const outage of stack.outages) {
        options.log(`stopping ${outage.part} for ${options.outageMs} ms`);
        await outage.stop();
        await sleep(options.outageMs);
        await outage.start();
        if (outage.part === 'temporal') report.temporalRestarts += 1;
        else report.postgresRestarts += 1;
        options.log(`${outage.part} back`);
      }
    })();
    await Promise.all([...starts, outages]);
    // Keep killing while the lifecycles expire (20 s) and refund, then let the last workers finish.
    await sleep(20_000);
    chaosOn = false;
    await Promise.all(monkeys);

    const deadline = Date.now() + options.deadlineMs;
    const completed = new Set<string>();
    while (completed.size < authNos.length && Date.now() < deadline) {
      for (const authNo of authNos) {
        if (completed.has(authNo)) continue;
        const state = await packets.getState(authNo).catch(() => undefined);
        if (state?.status === 'COMPLETED') completed.add(authNo);
      }
      await sleep(1000);
    }
    watching = false;
    await settlementWatch;
    const byClaim = [...settledAt]
      .map(([key, at]) => [key, at - acceptedAt.get(key)!] as const)
      .sort((a, b) => a[1] - b[1]);
    const latencies = byClaim.map(([, ms]) => ms);
    const slowest = byClaim.slice(-3);
    options.log(
      `claim to settled (ms): p50 ${latencies[Math.floor(latencies.length / 2)]}, p90 ${latencies[Math.floor(latencies.length * 0.9)]}, ` +
        `slowest ${JSON.stringify(latencies.slice(-5))} (${slowest.map(([key, ms]) => `${key} ${ms}`).join(', ')})`,
    );
    report.claimToSettledMs = {
      p99: latencies[Math.max(0, Math.ceil(latencies.length * 0.99) - 1)] ?? 0,
      max: latencies.at(-1) ?? 0,
      settled: latencies.length,
      unsettled: acceptedAt.size - latencies.length,
    };
    sandbox.faults.set({});
    for (const authNo of authNos) {
      const ledger = sandbox.ledger.packet(authNo);
      const state = await packets.getState(authNo).catch(async (error: unknown) => {
        const description = await temporal.workflow
          .getHandle(`red-packet-${authNo}`)
          .describe()
          .catch(() => undefined);
        const history = await temporal.workflow
          .getHandle(`red-packet-${authNo}`)
          .fetchHistory()
          .catch(() => undefined);
        const taskFailure = history?.events
          ?.map((event) => event.workflowTaskFailedEventAttributes?.failure)
          .filter((failure) => failure)
          .at(-1);
        // The history outlives the run, to replay the failure locally (Worker.runReplayHistory).
        const historyFile = join(tmpdir(), `chaos-history-${authNo}.binpb`);
        if (history) writeFileSync(historyFile, proto.api.history.v1.History.encode(history).finish());
        options.log(
          `state of ${authNo} unreadable (history in ${history ? historyFile : 'none'}): ` +
            `${error instanceof Error ? error.message : String(error)}; ` +
            `last workflow task failure: ${taskFailure?.message ?? 'none'} ${taskFailure?.stackTrace?.slice(0, 1500) ?? ''}; ` +
            `workflow ${description?.status.name ?? 'not found'}, ${description?.historyLength ?? '?'} events, ` +
            `pending ${JSON.stringify(description?.raw.pendingActivities?.map((activity) => activity.activityType?.name) ?? [])}, ` +
            `workflow task ${JSON.stringify(description?.raw.pendingWorkflowTask ?? null)}`,
        );
        return undefined;
      });
      const disbursements = ledger.operations.filter((operation) => operation.operationType === 'DISBURSE');
      const refunds = ledger.operations.filter((operation) => operation.operationType === 'REFUND');
      const paidClaims = state?.claims.filter((claim) => claim.status === 'PAID') ?? [];
      if (completed.has(authNo)) report.completed += 1;
      else {
        report.stuck += 1;
        options.log(
          `stuck ${authNo}: ${state?.status ?? 'no answer'}, rejection ${JSON.stringify(state?.rejection ?? null)}, ` +
            `refund ${JSON.stringify(state?.refund ?? null)}, claims ${JSON.stringify(state?.claims ?? [])}`,
        );
      }
      if (
        disbursements.length > paidClaims.length ||
        new Set(disbursements.map((op) => op.outRequestNo)).size !== disbursements.length
      )
        report.paidTwice += 1;
      if (refunds.length > 1) report.refundedTwice += 1;
      report.claimsPaid += paidClaims.length;
      if (state?.refund?.status === 'SUCCESS') {
        const source = state.refund.source ?? 'MERCHANT';
        report.refundsBySource[source] = (report.refundsBySource[source] ?? 0) + 1;
      }
      const paidFen = paidClaims.reduce((sum, claim) => sum + claim.amountFen, 0);
      const conserved =
        ledger.disbursed + ledger.refunded === ledger.funded &&
        (!completed.has(authNo) ||
          (ledger.balance === 0 &&
            state !== undefined &&
            paidFen + state.refundedFen === state.totalFen &&
            paidFen === ledger.disbursed));
      if (!conserved) report.notConserved += 1;
    }
    report.unreplayable = await countUnreplayable(temporal, authNos, stack.bundlePath, options.log);

    return report;
  } finally {
    // Whatever happened, nothing this run started outlives it.
    chaosOn = false;
    watching = false;
    await Promise.all(monkeys);
    await merchant.close().catch(() => undefined);
    await stack.close();
  }
}
