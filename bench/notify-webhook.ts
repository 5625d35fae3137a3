// The notify webhook: signed notifications per second through POST /alipay/notify (verify,
// check, signal), against raw signals from the same client, same concurrency, same workflows.
// The two alternate in rounds (ABBA) after a warm-up, so neither gains from going second on a
// warmer JIT or loses to a noisy neighbour on a shared machine.
//   npm run bench:notify   (BENCH_NOTIFICATIONS=4000 per side, BENCH_CONCURRENCY=32, BENCH_ROUNDS=4)
import { Pool } from 'undici';
import { buildSignContent, signRsa2 } from '../alipay/sign';
import { alipayNotifySignal } from '../workflows/messages';
import { pool, seconds, startBenchEnv, verdict, type BenchEnv } from './harness';

const NOTIFICATIONS = Number(process.env.BENCH_NOTIFICATIONS ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const WARM_UP = 100;
const PACKETS = 20;
const PER_ROUND = Math.ceil(NOTIFICATIONS / ROUNDS);
const SENT = PER_ROUND * ROUNDS;

type Sender = (first: number, count: number) => Promise<number>;

function createPackets(env: BenchEnv): Promise<string[]> {
  return pool(PACKETS, 10, () =>
    env.openPacket({
      totalFen: 100,
      split: 'claimant',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    }),
  );
}

/** Alipay's side: a plain keep-alive HTTP client posting signed pay notifications (recorded, not acted on). */
function webhookSender(env: BenchEnv, packets: string[], alipay: Pool, failures: { count: number }): Sender {
  // Signed up front: Alipay's signing is not the webhook's cost.
  const bodies = Array.from({ length: WARM_UP + SENT }, (_, i) => {
    const fields = {
      notify_type: 'trade_status_sync',
      notify_id: `bench-${i}`,
      app_id: env.keys.appId,
      auth_no: packets[i % PACKETS]!,
      amount: '1.00',
      status: 'SUCCESS',
    };
    const sign = signRsa2(buildSignContent(fields, ['sign', 'sign_type']), env.keys.alipayPrivateKey);
    return new URLSearchParams({ ...fields, sign_type: 'RSA2', sign }).toString();
  });
  return async (first, count) => {
    const start = process.hrtime.bigint();
    await pool(count, CONCURRENCY, async (i) => {
      const response = await alipay.request({
        method: 'POST',
        path: '/alipay/notify',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: bodies[first + i],
      });
      if ((await response.body.text()) !== 'success') failures.count += 1;
    });
    return seconds(start);
  };
}

function rawSignalSender(env: BenchEnv, packets: string[]): Sender {
  return async (first, count) => {
    const start = process.hrtime.bigint();
    await pool(count, CONCURRENCY, async (i) => {
      const authNo = packets[(first + i) % PACKETS]!;
      await env.packets.handle(authNo).signal(alipayNotifySignal, {
        notifyType: 'trade_status_sync',
        notifyId: `raw-${first + i}`,
        authNo,
        amount: 100,
      });
    });
    return seconds(start);
  };
}

async function main(): Promise<void> {
  const env = await startBenchEnv();
  const alipay = new Pool(env.webhookUrl, { connections: CONCURRENCY });
  try {
    const packets = await createPackets(env);
    const failures = { count: 0 };
    const webhook = webhookSender(env, packets, alipay, failures);
    const raw = rawSignalSender(env, packets);
    await webhook(0, WARM_UP);
    await raw(0, WARM_UP);
    failures.count = 0;

    // Besides time: CPU by part, and history events (one per signal plus three per workflow
    // task), which show how many signals Temporal folded into each workflow task.
    const historyEvents = async (): Promise<number> =>
      (
        await Promise.all(
          packets.map(async (authNo) => (await env.packets.handle(authNo).describe()).historyLength),
        )
      ).reduce((sum, length) => sum + length, 0);
    const totals = { webhook: 0, raw: 0 };
    const events = { webhook: 0, raw: 0 };
    const cpu = { webhook: {} as Record<string, number>, raw: {} as Record<string, number> };
    const measure = async (side: 'webhook' | 'raw', first: number): Promise<number> => {
      const eventsBefore = await historyEvents();
      const before = env.cpuMs();
      const elapsed = await (side === 'webhook' ? webhook : raw)(first, PER_ROUND);
      const after = env.cpuMs();
      for (const part of Object.keys(after))
        cpu[side][part] = (cpu[side][part] ?? 0) + after[part]! - (before[part] ?? 0);
      totals[side] += elapsed;
      events[side] += (await historyEvents()) - eventsBefore;
      return elapsed;
    };
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const first = WARM_UP + round * PER_ROUND;
      const webhookFirst = round % 4 === 0 || round % 4 === 3;
      const [a, b] = webhookFirst ? (['webhook', 'raw'] as const) : (['raw', 'webhook'] as const);
      const elapsed = { [a]: await measure(a, first), [b]: await measure(b, first) };
      ratios.push(elapsed.raw! / elapsed.webhook!);
    }

    const webhookRate = SENT / totals.webhook;
    const rawRate = SENT / totals.raw;
    console.log(
      `notify webhook: ${SENT} signed notifications and ${SENT} raw signals to ${PACKETS} packets, ` +
        `${CONCURRENCY} at a time, in ${ROUNDS} alternating rounds after ${WARM_UP} of each to warm up`,
    );
    console.log(`  POST /alipay/notify   ${webhookRate.toFixed(0)}/s (not acknowledged: ${failures.count})`);
    console.log(`  raw signals           ${rawRate.toFixed(0)}/s`);
    const perNotification = (side: 'webhook' | 'raw'): string =>
      Object.entries(cpu[side])
        .map(([part, ms]) => `${part} ${(ms / SENT).toFixed(2)}`)
        .concat(`(history events ${(events[side] / SENT).toFixed(2)})`)
        .join(', ');
    console.log(`  CPU ms per notification, webhook: ${perNotification('webhook')}`);
    console.log(`  CPU ms per notification, raw:     ${perNotification('raw')}`);
    // Our side's CPU per notification: for raw signals the sender is our client; for the webhook
    // the sender is Alipay, which in production runs on Alipay's machines, not ours.
    const ours = (side: 'webhook' | 'raw', sender: string): number =>
      ['temporal', 'worker', sender].reduce((sum, part) => sum + (cpu[side][part] ?? 0), 0) / SENT;
    if (cpu.raw.temporal !== undefined)
      console.log(
        `  our CPU per notification: webhook ${ours('webhook', 'http').toFixed(2)} ms, raw ` +
          `${ours('raw', 'bench').toFixed(2)} ms (ratio ${(ours('raw', 'bench') / ours('webhook', 'http')).toFixed(2)}, ` +
          `about the throughput ratio once Alipay's client is not on this machine)`,
      );
    console.log(`  rounds' ratios        ${ratios.map((ratio) => ratio.toFixed(2)).join(' ')}`);
    console.log(`  ${verdict(webhookRate / rawRate, 0.8)}`);
  } finally {
    await alipay.close();
    await env.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
