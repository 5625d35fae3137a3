// Lifecycle throughput: complete red packet lifecycles (create, 5 claims, expiry, refund,
// notification, completion) against a baseline workflow with the same updates, activities,
// timer and signal doing no work, on the same server in the same run.
//   npm run bench:lifecycle        (BENCH_LIFECYCLES=200, BENCH_CONCURRENCY=50)
import { baselineClaim, type BaselineLifecycle } from './baseline-workflows';
import { pool, seconds, startBenchEnv, verdict } from './harness';
import { RED_PACKET_STATUS } from '../workflows/messages';

const LIFECYCLES = Number(process.env.BENCH_LIFECYCLES ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const CLAIMS = 5;
const TTL_MS = 1000;

async function main(): Promise<void> {
  const env = await startBenchEnv();
  try {
    // The payer's pay calls happen before the clock starts: they are not ours to measure.
    const funded = await pool(LIFECYCLES, 20, () => env.fund(1000));

    const oursStart = process.hrtime.bigint();
    await pool(LIFECYCLES, CONCURRENCY, async (index) => {
      const { authNo, outOrderNo, payOperationId } = funded[index]!;
      await env.packets.createRedPacket({
        authNo,
        outOrderNo,
        funding: { payOperationId },
        totalFen: 1000,
        split: 'random',
        shares: CLAIMS + 1,
        expiresAt: new Date(Date.now() + TTL_MS).toISOString(),
      });
      for (let claim = 0; claim < CLAIMS; claim++) {
        await env.packets.claim(authNo, {
          claimId: `c${claim}`,
          payeeUserId: `2088${String(claim).padStart(12, '0')}`,
        });
      }
      const state = await env.packets.handle(authNo).result();
      if (state.status !== 'COMPLETED' || state.refund?.status !== 'SUCCESS')
        throw new Error(`${authNo}: ${state.status}`);
    });
    const oursSeconds = seconds(oursStart);

    const baselineStart = process.hrtime.bigint();
    await pool(LIFECYCLES, CONCURRENCY, async (index) => {
      const handle = await env.client.workflow.start<typeof BaselineLifecycle>('BaselineLifecycle', {
        taskQueue: env.taskQueue,
        workflowId: `baseline-${Date.now()}-${index}`,
        args: [CLAIMS, TTL_MS],
        typedSearchAttributes: [{ key: RED_PACKET_STATUS, value: 'OPEN' }],
      });
      for (let claim = 0; claim < CLAIMS; claim++)
        await handle.executeUpdate(baselineClaim, { args: [`c${claim}`] });
      await handle.result();
    });
    const baselineSeconds = seconds(baselineStart);

    // Money check on every lifecycle measured: disbursed + refunded == total at the sandbox.
    const ledgers = await pool(LIFECYCLES, 20, (index) => env.ledger(funded[index]!.authNo));
    const unbalanced = ledgers.filter(
      (packet) => packet.disbursed + packet.refunded !== packet.funded || packet.balance !== 0,
    );
    const ours = LIFECYCLES / oursSeconds;
    const baseline = LIFECYCLES / baselineSeconds;
    console.log(
      `lifecycle throughput: ${LIFECYCLES} lifecycles x ${CLAIMS} claims, ${CONCURRENCY} at a time, TTL ${TTL_MS} ms`,
    );
    console.log(`  RedPacketLifecycle  ${ours.toFixed(1)} lifecycles/s (${oursSeconds.toFixed(1)} s)`);
    console.log(
      `  baseline (no work)  ${baseline.toFixed(1)} lifecycles/s (${baselineSeconds.toFixed(1)} s)`,
    );
    console.log(
      `  ${verdict(ours / baseline, 0.7)}; packets with disbursed + refunded != total: ${unbalanced.length}`,
    );
  } finally {
    await env.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
