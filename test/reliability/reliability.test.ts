// `npm run test:reliability` runs 50 lifecycles; `npm test` runs a reduced run (RELIABILITY_LIFECYCLES).
import { describe, expect, it } from 'vitest';
import { runChaos } from './chaos-run';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const lifecycles = Number(process.env.RELIABILITY_LIFECYCLES ?? 10);

describe('reliability under worker kills, a Temporal restart and Alipay faults', () => {
  it(`${lifecycles} lifecycles: all complete, none paid or refunded twice, every fen accounted for`, async () => {
    const report = await runChaos({
      lifecycles,
      claimsPerLifecycle: 3,
      killEveryMs: [2000, 5000],
      temporalOutageMs: 3000,
      deadlineMs: 180_000,
      log: (line) => console.log(`reliability: ${line}`),
    });
    console.log(
      [
        `reliability run: ${lifecycles} lifecycles, ${report.workerKills} worker SIGKILLs, ${report.temporalRestarts} Temporal restart(s)`,
        `  started ${report.started}, completed ${report.completed}, stuck ${report.stuck}, paid twice ${report.paidTwice},`,
        `  refunded twice ${report.refundedTwice}, disbursed + refunded != total ${report.notConserved}`,
        `  accepted claim to settled payout: p99 ${seconds(report.claimToSettledMs.p99)}, max ${seconds(report.claimToSettledMs.max)}` +
          ` over ${report.claimToSettledMs.settled} claims (${report.claimToSettledMs.unsettled} never settled)`,
      ].join('\n'),
    );
    expect(report.workerKills).toBeGreaterThan(0);
    expect(report.temporalRestarts).toBe(1);
    expect(report).toMatchObject({
      started: lifecycles,
      completed: lifecycles,
      stuck: 0,
      paidTwice: 0,
      refundedTwice: 0,
      notConserved: 0,
    });
  }, 600_000);
});
