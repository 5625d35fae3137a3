// A hot packet: 1,000 shares, 1,000 concurrent claims through the HTTP API, against bare signals
// into an empty workflow from the same client. A claim is settled when the claimant has the
// answer (its amount reserved, or the refusal); the payouts that follow are reported too: they
// run at most at Alipay's 100 calls/s per merchant (the worker holds them to 80/s).
//   npm run bench:hot-packet   (BENCH_CLAIMS=1000)
import { baselineSignal, signalsReceived, type SignalSink } from './baseline-workflows';
import { percentile, seconds, startBenchEnv, verdict } from './harness';

const CLAIMS = Number(process.env.BENCH_CLAIMS ?? 1000);

async function main(): Promise<void> {
  const env = await startBenchEnv();
  try {
    const { authNo, outOrderNo, payOperationId } = await env.fund(CLAIMS * 100);
    const created = await fetch(`${env.apiUrl}/red-packets`, {
      method: 'POST',
      headers: env.apiHeaders,
      body: JSON.stringify({
        authNo,
        outOrderNo,
        payOperationId,
        amount: `${CLAIMS}.00`,
        shares: CLAIMS,
        split: 'fixed',
        ttlSeconds: 3600,
      }),
    });
    if (created.status !== 201) throw new Error(`create: HTTP ${created.status}`);

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
    for (;;) {
      const state = await env.packets.getState(authNo);
      if (state.claims.length === CLAIMS && state.claims.every((claim) => claim.status === 'PAID')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
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
      `  claims settled (answered) ${claimsPerSecond.toFixed(0)}/s, latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, errors ${errors}`,
    );
    console.log(
      `  bare signals (baseline) ${signalsPerSecond.toFixed(0)}/s, latency p50 ${percentile(signalLatencies, 50).toFixed(0)} ms, p99 ${percentile(signalLatencies, 99).toFixed(0)} ms`,
    );
    console.log(
      `  ${verdict(claimsPerSecond / signalsPerSecond, 0.5)}; errors to claimants: ${errors} (goal 0)`,
    );
    console.log(
      `  payouts: all ${CLAIMS} paid after ${payoutSeconds.toFixed(1)} s (${(CLAIMS / payoutSeconds).toFixed(0)}/s); ` +
        `sandbox disbursed ${ledger.disbursed} of ${ledger.funded} fen in ${ledger.operations - 1} disbursements`,
    );
  } finally {
    await env.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
