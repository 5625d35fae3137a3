// `npm run test:reliability` runs 50 lifecycles; `npm test` runs a reduced run (RELIABILITY_LIFECYCLES).
// `npm run test:cluster` runs the same on the cluster (test/cluster/reliability.cluster.ts).
import { describe, expect, it } from 'vitest';
import { describeReport, expectHealthyRun } from './chaos-report';
import { runChaos, startDevChaosStack } from './chaos-run';

const lifecycles = Number(process.env.RELIABILITY_LIFECYCLES ?? 10);
const claimsPerLifecycle = 3;

describe('reliability under worker kills, a Temporal restart and Alipay faults', () => {
  it(`${lifecycles} lifecycles: all complete, none paid or refunded twice, every fen accounted for, every history replays`, async () => {
    const log = (line: string) => console.log(`reliability: ${line}`);
    const report = await runChaos(
      { lifecycles, claimsPerLifecycle, killEveryMs: [2000, 5000], outageMs: 3000, deadlineMs: 180_000, log },
      await startDevChaosStack(log),
    );
    console.log(describeReport(report, lifecycles));
    expect(report.temporalRestarts).toBe(1);
    expectHealthyRun(report, lifecycles, claimsPerLifecycle);
  }, 600_000);
});
