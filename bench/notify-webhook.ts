// The notify webhook: signed notifications per second through POST /alipay/notify (verify,
// check, signal), against raw signals from the same client, same concurrency, same workflows.
//   npm run bench:notify   (BENCH_NOTIFICATIONS=1000, BENCH_CONCURRENCY=32)
import { Pool } from 'undici';
import { buildSignContent, signRsa2 } from '../alipay/sign';
import { alipayNotifySignal } from '../workflows/messages';
import { pool, seconds, startBenchEnv, verdict } from './harness';

const NOTIFICATIONS = Number(process.env.BENCH_NOTIFICATIONS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PACKETS = 20;

async function main(): Promise<void> {
  const env = await startBenchEnv();
  try {
    const packets = await pool(PACKETS, 10, async () => {
      const { authNo, outOrderNo } = await env.fund(100);
      await env.packets.createRedPacket({
        authNo,
        outOrderNo,
        totalFen: 100,
        split: 'claimant',
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      });
      return authNo;
    });
    // Pay notifications (recorded, not acted on): the webhook's whole path without moving money.
    const bodies = Array.from({ length: NOTIFICATIONS }, (_, i) => {
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

    let failures = 0;
    const alipay = new Pool(env.apiUrl, { connections: CONCURRENCY });
    const webhookStart = process.hrtime.bigint();
    await pool(NOTIFICATIONS, CONCURRENCY, async (i) => {
      // Alipay's side: a plain keep-alive HTTP client (undici's request, lighter than fetch).
      const response = await alipay.request({
        method: 'POST',
        path: '/alipay/notify',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: bodies[i],
      });
      if ((await response.body.text()) !== 'success') failures += 1;
    });
    const webhookSeconds = seconds(webhookStart);
    await alipay.close();

    const signalStart = process.hrtime.bigint();
    await pool(NOTIFICATIONS, CONCURRENCY, async (i) => {
      await env.packets.handle(packets[i % PACKETS]!).signal(alipayNotifySignal, {
        notifyType: 'trade_status_sync',
        notifyId: `raw-${i}`,
        authNo: packets[i % PACKETS]!,
        amount: 100,
      });
    });
    const signalSeconds = seconds(signalStart);

    const webhook = NOTIFICATIONS / webhookSeconds;
    const raw = NOTIFICATIONS / signalSeconds;
    console.log(
      `notify webhook: ${NOTIFICATIONS} signed notifications to ${PACKETS} packets, ${CONCURRENCY} at a time`,
    );
    console.log(`  POST /alipay/notify   ${webhook.toFixed(0)}/s (not acknowledged: ${failures})`);
    console.log(`  raw signals           ${raw.toFixed(0)}/s`);
    console.log(`  ${verdict(webhook / raw, 0.8)}`);
  } finally {
    await env.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
