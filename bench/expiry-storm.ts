// An expiry storm: N packets, each with a few claims paid, all expiring in the same second (New
// Year's Eve's packets a day later). Measures the time until every refund is confirmed against
// the floor that Alipay's call limit sets (N / refund calls allowed per second), the limit
// answers received, the worker's memory and the Temporal actions per packet.
//   npm run bench:expiry-storm [-- --packets 2000 --claims 3 --setup-seconds 200]
// On the cluster when `npm run cluster` is up, else on a dev server of its own (bench/harness.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { AlipayGateway } from '../alipay/gateway';
import { METHODS } from '../alipay/methods';
import { parseAmount } from '../alipay/money';
import { createRedPacketClient, type RedPacketClient } from '../client/red-packet-client';
import { connectClient } from '../client/temporal-connection';
import { clientTlsEnv, ensureClusterCertificates } from '../cluster/certificates';
import { CLUSTER_LAYOUT } from '../cluster/layout';
import { alive, recordedChildren } from '../cluster/run-lock';
import { NAMESPACE } from '../cluster/versions';
import { readTemporalSecurity } from '../config/temporal-security';
import { ensureSandboxKeys } from '../sandbox/key-files';
import { billableActions } from '../test/helpers/history';
import { payRedPacket } from '../test/helpers/pay';
import { DEFAULT_TASK_QUEUE } from '../workflows/messages';
import { pool, startBenchEnv, verdict } from './harness';

const GOAL = 0.8;
const FEN_PER_SHARE = 100;
/** Packets sampled for their histories' actions (every one would read 2,000 histories). */
const ACTION_SAMPLE = 20;

interface StormTarget {
  where: string;
  client: Client;
  packets: RedPacketClient;
  /** Only this run's packets: visibility counts are taken with it. */
  visibilityFilter: string;
  sandboxUrl: string;
  fund(totalFen: number): Promise<{ authNo: string; outOrderNo: string; payOperationId: string }>;
  workerPids(): number[];
  close(): Promise<void>;
}

function runningClusterPid(): number | undefined {
  try {
    const pid = Number(readFileSync(join(CLUSTER_LAYOUT.dataDir, 'cluster.pid'), 'utf8').trim());
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The cluster's worker processes: children of the run whose command line runs worker/main.ts. */
function clusterWorkerPids(): number[] {
  const recorded = recordedChildren(join(CLUSTER_LAYOUT.dataDir, 'cluster.children'));
  return recorded.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker/main.ts');
    } catch {
      return false;
    }
  });
}

async function clusterTarget(startedAt: Date): Promise<StormTarget> {
  const layout = CLUSTER_LAYOUT;
  const certs = ensureClusterCertificates(join(layout.dataDir, 'tls'));
  const client = await connectClient(
    `127.0.0.1:${layout.ports.frontend}`,
    NAMESPACE,
    undefined,
    readTemporalSecurity(clientTlsEnv(certs)),
  );
  const keys = ensureSandboxKeys(join(layout.dataDir, 'sandbox'));
  const sandboxUrl = `http://127.0.0.1:${layout.sandboxPort}`;
  const merchant = new AlipayGateway({
    gateway: `${sandboxUrl}/gateway.do`,
    appId: keys.appId,
    privateKey: keys.appPrivateKey,
    alipayPublicKey: keys.alipayPublicKey,
  });
  const notifyUrl = `http://127.0.0.1:${layout.servers[0]!.webhook}/alipay/notify`;
  return {
    where: `the cluster (npm run cluster, Temporal at 127.0.0.1:${layout.ports.frontend} with mTLS, ${layout.workers.length} workers)`,
    client,
    packets: createRedPacketClient(client, DEFAULT_TASK_QUEUE),
    visibilityFilter: `StartTime >= '${startedAt.toISOString()}'`,
    sandboxUrl,
    fund: (totalFen) => payRedPacket(merchant, { totalFen, notifyUrl, prefix: 'STORM' }),
    workerPids: clusterWorkerPids,
    async close() {
      await merchant.close();
      await client.connection.close();
    },
  };
}

async function devServerTarget(): Promise<StormTarget> {
  const env = await startBenchEnv();
  return {
    where: 'a dev server of its own (one worker process; start `npm run cluster` first to run it there)',
    client: env.client,
    packets: env.packets,
    visibilityFilter: `TaskQueue = '${env.taskQueue}'`,
    sandboxUrl: env.sandboxUrl,
    fund: env.fund,
    workerPids: () => (env.workerPid === undefined ? [] : [env.workerPid]),
    close: env.close,
  };
}

function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function callLimits(
  sandboxUrl: string,
): Promise<{ limits: Record<string, number>; refused: Record<string, number> }> {
  return (await (await fetch(`${sandboxUrl}/sandbox/call-limits`)).json()) as {
    limits: Record<string, number>;
    refused: Record<string, number>;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      packets: { type: 'string', default: '2000' },
      claims: { type: 'string', default: '3' },
      'setup-seconds': { type: 'string' },
    },
  });
  const count = Number(values.packets);
  const claims = Number(values.claims);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(claims) || claims < 0)
    throw new Error('--packets and --claims take whole numbers (packets at least 1)');
  const startedAt = new Date();
  const target = runningClusterPid() ? await clusterTarget(startedAt) : await devServerTarget();
  try {
    const before = await callLimits(target.sandboxUrl);
    const refundLimit = before.limits[METHODS.refund] ?? Infinity;
    // Two shares stay unclaimed: every packet has a remainder to refund.
    const shares = claims + 2;
    // Time to fund, create and claim every packet before the storm (about 25 packets a second).
    // Time to fund, create and claim every packet before the storm: measured here at about 35
    // packets and 140 claims a second on the dev server, under half that on the cluster
    // (PostgreSQL, mTLS). --setup-seconds overrides it.
    const perPacketMs = (target.where.startsWith('the cluster') ? 2.5 : 1) * (40 + claims * 15);
    const setupMs = values['setup-seconds']
      ? Number(values['setup-seconds']) * 1000
      : Math.max(60_000, count * perPacketMs);
    if (!(setupMs > 0)) throw new Error('--setup-seconds takes a number of seconds');
    const expiresAt = new Date(Math.ceil((Date.now() + setupMs) / 1000) * 1000);
    console.log(`expiry storm on ${target.where}`);
    console.log(`  ${count} packets x ${claims} claims, every one expiring at ${expiresAt.toISOString()}`);

    const setupStart = Date.now();
    let created = 0;
    const authNos = await pool(count, 32, async () => {
      const { payOperationId, ...funded } = await target.fund(shares * FEN_PER_SHARE);
      const { status } = await target.packets.createRedPacket({
        ...funded,
        totalFen: shares * FEN_PER_SHARE,
        split: 'fixed',
        shares,
        expiresAt: expiresAt.toISOString(),
        title: 'expiry storm',
        funding: { payOperationId },
      });
      if (status === 'REJECTED') throw new Error(`packet ${funded.authNo} was rejected at its funding check`);
      if (++created % 500 === 0) console.log(`  created ${created} ...`);
      return funded.authNo;
    });
    const createdIn = (Date.now() - setupStart) / 1000;
    const claimStart = Date.now();
    await pool(count * claims, 32, async (index) => {
      const authNo = authNos[Math.floor(index / claims)]!;
      const request = {
        claimId: `s${index % claims}`,
        payeeUserId: `2088${String(index).padStart(12, '0')}`,
      };
      // A packet whose funding check outlasted its creator's wait opens a moment later.
      for (let attempt = 0; ; attempt++) {
        const answer = await target.packets.claim(authNo, request);
        if (answer.accepted) return;
        if (answer.reason === 'PACKET_EXPIRED')
          throw new Error(
            'the set-up ran past the expiry (a claim met PACKET_EXPIRED): give it more --setup-seconds',
          );
        if (answer.reason !== 'PACKET_NOT_OPEN' || attempt === 60)
          throw new Error(`claim on ${authNo} answered ${JSON.stringify(answer)}`);
        await sleep(500);
      }
    });
    const claimedIn = (Date.now() - claimStart) / 1000;
    console.log(
      `  set up: ${count} packets created in ${createdIn.toFixed(1)} s, ${count * claims} claims in ${claimedIn.toFixed(1)} s`,
    );
    if (Date.now() > expiresAt.getTime() - 1000)
      throw new Error(
        'the set-up ran past the expiry: the storm would not be one second; give it more --setup-seconds',
      );

    // The storm: from the expiry until every packet has its refund confirmed (COMPLETED).
    const rss = new Map<number, number>();
    const sampleRss = (): void => {
      for (const pid of target.workerPids()) rss.set(pid, Math.max(rss.get(pid) ?? 0, rssMb(pid)));
    };
    while (Date.now() < expiresAt.getTime()) {
      sampleRss();
      await sleep(Math.min(1000, expiresAt.getTime() - Date.now()));
    }
    // Completed lifecycles that started in this run, kept only if they are this run's packets
    // (a running cluster may have others).
    const ours = new Set(authNos.map((authNo) => `red-packet-${authNo}`));
    const completedQuery = `WorkflowType = 'RedPacketLifecycle' AND ExecutionStatus = 'Completed' AND ${target.visibilityFilter}`;
    const floorS = Number.isFinite(refundLimit) ? count / refundLimit : undefined;
    const giveUpAt = Date.now() + Math.max(600_000, (floorS ?? 0) * 20_000);
    const done = new Set<string>();
    let lastPrint = 0;
    while (done.size < count && Date.now() < giveUpAt) {
      await sleep(1000);
      sampleRss();
      for await (const execution of target.client.workflow.list({ query: completedQuery }))
        if (ours.has(execution.workflowId)) done.add(execution.workflowId);
      if (Date.now() - lastPrint > 10_000) {
        lastPrint = Date.now();
        console.log(
          `  ${((Date.now() - expiresAt.getTime()) / 1000).toFixed(0)} s after the expiry: ${done.size} of ${count} refunds confirmed`,
        );
      }
    }
    const completed = done.size;
    const stormS = (Date.now() - expiresAt.getTime()) / 1000;

    // Every packet's books against the sandbox's ledger, and what it cost in Temporal actions.
    let unbalanced = 0;
    await pool(count, 16, async (index) => {
      const view = (await (
        await fetch(`${target.sandboxUrl}/sandbox/packets/${authNos[index]}`)
      ).json()) as Record<string, unknown>;
      const fen = (field: string): number => parseAmount(String(view[field]));
      const paidOut = claims * FEN_PER_SHARE;
      if (
        fen('disbursed') + fen('refunded') !== fen('funded') ||
        fen('balance') !== 0 ||
        fen('disbursed') !== paidOut
      )
        unbalanced += 1;
    });
    const sample = authNos.slice(0, ACTION_SAMPLE);
    let actions = 0;
    for (const authNo of sample)
      actions += billableActions(await target.packets.handle(authNo).fetchHistory()).total;
    const after = await callLimits(target.sandboxUrl);
    const refused = (method: string): number => (after.refused[method] ?? 0) - (before.refused[method] ?? 0);

    const ratio = completed === count && floorS !== undefined ? floorS / stormS : 0;
    console.log(
      floorS === undefined
        ? '  the sandbox sets no refund limit: no floor to compare with (PUT /sandbox/call-limits)'
        : `  Alipay's refund limit ${refundLimit} a second: floor ${floorS.toFixed(1)} s for ${count} refunds`,
    );
    console.log(
      `  every refund confirmed ${completed === count ? `after ${stormS.toFixed(1)} s` : `NOT within ${stormS.toFixed(0)} s (${completed} of ${count})`}: ${verdict(ratio, GOAL)}`,
    );
    console.log(
      `  Alipay limit answers (40005): refund ${refused(METHODS.refund)}, disburse ${refused(METHODS.disburse)}, all retried; ` +
        `lost ${count - completed} (goal 0), unbalanced ${unbalanced} (disbursed + refunded != total, or a payout missing)`,
    );
    console.log(
      `  worker RSS peak: ${[...rss.values()].map((mb) => `${mb.toFixed(0)} MB`).join(', ') || 'not readable'}`,
    );
    console.log(
      `  Temporal actions per packet: ${(actions / sample.length).toFixed(1)} (mean of ${sample.length}; 2k+9 = ${2 * claims + 9})`,
    );
    if (completed !== count || unbalanced > 0) process.exitCode = 1;
  } finally {
    await target.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
