// `npm run test:cluster`: the reliability run on the production shape. PostgreSQL and the
// Temporal server (mTLS) built and started by `npm run cluster`'s own code, two workers and two
// HTTP servers as processes; lifecycles through both servers (each request takes its turn, so
// one packet's claims reach both), workers and HTTP servers SIGKILLed at random moments, the
// Temporal server killed and restarted, then PostgreSQL stopped and restarted, mid-run. Not part
// of `npm test`: it builds the Temporal server the first time and runs for minutes.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRedPacketClient } from '../../client/red-packet-client';
import { connectClient } from '../../client/temporal-connection';
import { startCluster } from '../../cluster/cluster';
import { shiftedLayout } from '../../cluster/layout';
import { acquireRunLock, RUN_LOCK_FILES } from '../../cluster/run-lock';
import { NAMESPACE } from '../../cluster/versions';
import { PROJECT_ROOT } from '../../embedded/temporal-binaries';
import { DEFAULT_TASK_QUEUE } from '../../workflows/messages';
import { describeReport, expectHealthyRun } from '../reliability/chaos-report';
import {
  CHAOS_REFUND_NOTIFY_WAIT_MS,
  CHAOS_SANDBOX,
  runChaos,
  writeWorkflowBundle,
  type ChaosStack,
} from '../reliability/chaos-run';

/** Its own data and ports, beside a running `npm run cluster` (which uses 15432, 17233 ...). */
const LAYOUT = shiftedLayout(join(PROJECT_ROOT, '.data', 'cluster-test'), 100);

const lifecycles = Number(process.env.RELIABILITY_LIFECYCLES ?? 50);
const claimsPerLifecycle = 3;

async function startClusterChaosStack(log: (line: string) => void): Promise<ChaosStack> {
  mkdirSync(LAYOUT.dataDir, { recursive: true });
  const lock = acquireRunLock(LAYOUT.dataDir, log);
  try {
    // A fresh cluster each run (its figures are this run's alone), once the lock says no other
    // run is using it and has stopped what a dead one left.
    for (const entry of readdirSync(LAYOUT.dataDir))
      if (!RUN_LOCK_FILES.includes(entry))
        rmSync(join(LAYOUT.dataDir, entry), { recursive: true, force: true });
    const bundlePath = join(LAYOUT.dataDir, 'workflow-bundle.js');
    await writeWorkflowBundle(bundlePath, log);
    const cluster = await startCluster({
      ...LAYOUT,
      say: log,
      sandbox: CHAOS_SANDBOX,
      env: {
        WORKFLOW_BUNDLE_PATH: bundlePath,
        REFUND_NOTIFY_WAIT_SECONDS: String(CHAOS_REFUND_NOTIFY_WAIT_MS / 1000),
      },
      onChild: (pid) => lock.recordChild(pid),
    });
    log(`cluster up; every process's log in ${cluster.logDir}`);
    const temporal = await connectClient(cluster.address, NAMESPACE, undefined, cluster.security);
    return {
      temporal,
      packets: createRedPacketClient(temporal, DEFAULT_TASK_QUEUE),
      apiUrls: cluster.servers.map((server) => server.apiUrl),
      apiToken: readFileSync(cluster.apiKey.tokenFile, 'utf8').trim(),
      notifyUrl: cluster.notifyUrl,
      sandbox: cluster.sandbox,
      bundlePath,
      workers: cluster.workers,
      httpServers: cluster.servers,
      outages: [
        {
          part: 'temporal',
          stop: () => cluster.temporalServer.kill(),
          start: () => cluster.temporalServer.start(),
        },
        {
          part: 'postgres',
          stop: async () => cluster.postgres.stop(),
          start: async () => cluster.postgres.start(),
        },
      ],
      async close() {
        await temporal.connection.close().catch(() => undefined);
        await cluster.stop();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

describe('reliability on the cluster: PostgreSQL, Temporal server with mTLS, two workers, two HTTP servers', () => {
  it(`${lifecycles} lifecycles through both HTTP servers: all complete, none paid or refunded twice, every fen accounted for`, async () => {
    const log = (line: string) => console.log(`cluster: ${line}`);
    const started = Date.now();
    const stack = await startClusterChaosStack(log);
    log(`cluster started in ${Math.round((Date.now() - started) / 1000)} s`);
    const report = await runChaos(
      {
        lifecycles,
        claimsPerLifecycle,
        killEveryMs: [2000, 5000],
        httpKillEveryMs: [5000, 10_000],
        outageMs: 5000,
        deadlineMs: 240_000,
        log,
      },
      stack,
    );
    console.log(describeReport(report, lifecycles));
    expect(report.httpServerKills).toBeGreaterThan(0);
    // Both servers answered claims, and packets had claims answered by both.
    expect(Object.keys(report.acceptedByServer).sort()).toEqual(stack.apiUrls.slice().sort());
    expect(report.packetsClaimedThroughSeveralServers).toBeGreaterThan(0);
    expect(report.temporalRestarts).toBe(1);
    expect(report.postgresRestarts).toBe(1);
    expectHealthyRun(report, lifecycles, claimsPerLifecycle);
  }, 1_800_000);
});
