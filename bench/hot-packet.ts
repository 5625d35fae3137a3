// A hot packet: 1,000 shares, 1,000 concurrent claims through the HTTP API, against bare signals
// into an empty workflow from the same client. A claim is settled when the claimant has the
// answer (its amount reserved, or the refusal); the payouts that follow are reported too: they
// run at most at Alipay's 100 calls/s per merchant (the worker holds them to 80/s).
// Then a long-lived packet: 10,000 claims with maximum-length ids, 200 at a time, showing what
// continue-as-new carries from run to run.
//   npm run bench:hot-packet   (BENCH_CLAIMS=1000, BENCH_LONG_CLAIMS=10000)
import { runChain } from '../test/helpers/history';
import { workflowIdFor } from '../workflows/messages';
import { baselineSignal, signalsReceived, type SignalSink } from './baseline-workflows';
import { percentile, seconds, startBenchEnv, verdict, type BenchEnv } from './harness';

const CLAIMS = Number(process.env.BENCH_CLAIMS ?? 1000);
const LONG_CLAIMS = Number(process.env.BENCH_LONG_CLAIMS ?? 10_000);
const LONG_CONCURRENCY = 200;

async function createPacket(env: BenchEnv, shares: number): Promise<string> {
  const { authNo, outOrderNo, payOperationId } = await env.fund(shares * 100);
  const created = await fetch(`${env.apiUrl}/red-packets`, {
    method: 'POST',
    headers: env.apiHeaders,
    body: JSON.stringify({
      authNo,
      outOrderNo,
      payOperationId,
      amount: `${shares}.00`,
      shares,
      split: 'fixed',
      ttlSeconds: 3600,
    }),
  });
  if (created.status !== 201) throw new Error(`create: HTTP ${created.status}`);
  return authNo;
}

async function waitUntilPaid(env: BenchEnv, authNo: string, claims: number): Promise<void> {
  for (;;) {
    const state = await env.packets.getState(authNo, { limit: 1 });
    if (state.paidCount === claims) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** 10,000 claims, 200 at a time, with 64-character claim ids and 100-character payees. */
async function longLivedPacket(env: BenchEnv): Promise<void> {
  const authNo = await createPacket(env, LONG_CLAIMS);
  let errors = 0;
  const start = process.hrtime.bigint();
  for (let first = 0; first < LONG_CLAIMS; first += LONG_CONCURRENCY) {
    await Promise.all(
      Array.from({ length: Math.min(LONG_CONCURRENCY, LONG_CLAIMS - first) }, async (_, k) => {
        const i = first + k;
        const response = await fetch(`${env.apiUrl}/red-packets/${authNo}/claims`, {
          method: 'POST',
          headers: env.apiHeaders,
          body: JSON.stringify({
            claimId: `long-${i}-`.padEnd(64, 'c'),
            payeeLogonId: `payee-${i}@`.padEnd(100, 'p'),
          }),
        });
        if (response.status !== 200) errors += 1;
      }),
    );
  }
  const claimSeconds = seconds(start);
  await waitUntilPaid(env, authNo, LONG_CLAIMS);
  const paidSeconds = seconds(start);
  const runs = await runChain(env.client, workflowIdFor(authNo));
  const ledger = await env.ledger(authNo);
  console.log(
    `long-lived packet: ${LONG_CLAIMS} claims with maximum-length ids, ${LONG_CONCURRENCY} at a time`,
  );
  console.log(
    `  claims answered ${(LONG_CLAIMS / claimSeconds).toFixed(0)}/s, all paid after ${paidSeconds.toFixed(1)} s, errors ${errors}`,
  );
  console.log(
    `  continue-as-new ${runs.length - 1} times; largest carried input ${(Math.max(...runs.map((run) => run.inputBytes)) / 1024).toFixed(0)} KiB (bound 512 KiB); ` +
      `largest history per run ${Math.max(...runs.map((run) => run.events))} events`,
  );
  console.log(
    `  sandbox disbursed ${ledger.disbursed} of ${ledger.funded} fen in ${ledger.operations - 1} disbursements`,
  );
}

async function main(): Promise<void> {
  const env = await startBenchEnv();
  try {
    const authNo = await createPacket(env, CLAIMS);

    const latencies: number[] = [];
    let errors = 0;
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CLAIMS }, async (_, i) => {
        const sent = process.hrtime.bigint();
        const response = await fetch(`${env.apiUrl}/red-packets/${authNo}/claims`, {
          method: 'POST',
          headers: env.apiHeaders,
          body: JSON.stringify({ claimId: `hot-${i}`, payeeUserId: `2088${String(i).padStart(12, '0')}` }),
        });
        latencies.push(seconds(sent) * 1000);
        if (response.status !== 200) errors += 1;
      }),
    );
    const claimSeconds = seconds(start);
    await waitUntilPaid(env, authNo, CLAIMS);
    const payoutSeconds = seconds(start);

    const sink = await env.client.workflow.start<typeof SignalSink>('SignalSink', {
      taskQueue: env.taskQueue,
      workflowId: `sink-${Date.now()}`,
    });
    const signalLatencies: number[] = [];
    const signalStart = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CLAIMS }, async () => {
        const sent = process.hrtime.bigint();
        await sink.signal(baselineSignal);
        signalLatencies.push(seconds(sent) * 1000);
      }),
    );
    while ((await sink.query(signalsReceived)) < CLAIMS)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const signalSeconds = seconds(signalStart);
    await sink.terminate('benchmark done');

    const ledger = await env.ledger(authNo);
    const claimsPerSecond = CLAIMS / claimSeconds;
    const signalsPerSecond = CLAIMS / signalSeconds;
    console.log(
      `hot packet: ${CLAIMS} shares, ${CLAIMS} concurrent claims through POST /red-packets/:authNo/claims`,
    );
    console.log(
      `  claims settled (answered) ${claimsPerSecond.toFixed(0)}/s, latency min ${Math.min(...latencies).toFixed(0)} ms, p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, errors ${errors}`,
    );
    console.log(
      `  bare signals (baseline) ${signalsPerSecond.toFixed(0)}/s, latency min ${Math.min(...signalLatencies).toFixed(0)} ms, p50 ${percentile(signalLatencies, 50).toFixed(0)} ms, p99 ${percentile(signalLatencies, 99).toFixed(0)} ms`,
    );
    const p99Ratio = percentile(latencies, 99) / percentile(signalLatencies, 99);
    console.log(
      `  throughput ${verdict(claimsPerSecond / signalsPerSecond, 1.0)}; p99 latency ${p99Ratio.toFixed(2)}x the baseline's ` +
        `(goal <= 1.2: ${p99Ratio <= 1.2 ? 'met' : 'MISSED'}); errors to claimants: ${errors} (goal 0)`,
    );
    console.log(
      `  payouts: all ${CLAIMS} paid after ${payoutSeconds.toFixed(1)} s (${(CLAIMS / payoutSeconds).toFixed(0)}/s); ` +
        `sandbox disbursed ${ledger.disbursed} of ${ledger.funded} fen in ${ledger.operations - 1} disbursements`,
    );
    if (LONG_CLAIMS > 0) await longLivedPacket(env);
  } finally {
    await env.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
