// Cost per lifecycle: billable actions, history events and history bytes for 0, 1, 10 and 100
// claims (DESIGN.md section 7: about 2k + 5 actions, plus four for the funding check: the
// operation query, the creator's fundingSettled update, the patch marker's upsert, the upsert
// to OPEN).   npm run bench:cost
import { temporal } from '@temporalio/proto';
import { billableActions } from '../test/helpers/history';
import { startBenchEnv } from './harness';

async function main(): Promise<void> {
  const env = await startBenchEnv();
  try {
    console.log('cost per lifecycle (claims, expiry, refund, notification, completion)');
    console.log('  claims  actions  2k+9  events  history bytes  actions by kind');
    for (const claims of [0, 1, 10, 100]) {
      const authNo = await env.openPacket({
        totalFen: 100_000,
        split: 'fixed',
        shares: claims + 1,
        expiresAt: new Date(Date.now() + 2000 + claims * 50).toISOString(),
      });
      for (let i = 0; i < claims; i++) {
        await env.packets.claim(authNo, {
          claimId: `k${i}`,
          payeeUserId: `2088${String(i).padStart(12, '0')}`,
        });
      }
      await env.packets.handle(authNo).result();
      const history = await env.packets.handle(authNo).fetchHistory();
      const actions = billableActions(history);
      const bytes = temporal.api.history.v1.History.encode(history).finish().length;
      const kinds = Object.entries(actions.byKind)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(', ');
      console.log(
        `  ${String(claims).padStart(6)}  ${String(actions.total).padStart(7)}  ${String(2 * claims + 9).padStart(4)}  ${String(history.events?.length ?? 0).padStart(6)}  ${String(bytes).padStart(13)}  ${kinds}`,
      );
    }
  } finally {
    await env.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
