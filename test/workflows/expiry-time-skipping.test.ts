// A 24-hour expiry on the time-skipping server: the timer fires without waiting a day.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from '../harness/temporal';
import { startLifecycleEnv, type LifecycleEnv } from '../helpers/lifecycle-env';
import { expectConserved } from '../helpers/conservation';
import { recordHistory } from '../helpers/history';
import type { RedPacketState } from '../../workflows/messages';

let server: TestWorkflowEnvironment;
let env: LifecycleEnv;

beforeAll(async () => {
  server = await createTimeSkippingEnv();
  env = await startLifecycleEnv(server.client, server.nativeConnection);
});
afterAll(async () => {
  await env?.close();
  await server?.teardown();
});

describe('expiry under time skipping', () => {
  it('refunds the remainder after 24 hours and completes', async () => {
    const DAY = 24 * 3_600_000;
    const { authNo } = await env.fundAndStart({ totalFen: 8800, split: 'random', shares: 8, ttlMs: DAY });
    for (let i = 0; i < 3; i++) {
      const outcome = await env.packets.claim(authNo, {
        claimId: `ts${i}`,
        payeeUserId: `2088${String(i).padStart(12, '0')}`,
      });
      expect(outcome.accepted).toBe(true);
    }
    const started = Date.now();
    const final = (await env.packets.handle(authNo).result()) as RedPacketState;
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(final.status).toBe('COMPLETED');
    expect(final.refund).toMatchObject({ status: 'SUCCESS', amountFen: 8800 - final.claimedFen });
    const description = await env.packets.handle(authNo).describe();
    expect(description.closeTime!.getTime() - description.startTime.getTime()).toBeGreaterThanOrEqual(DAY);
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-expiry-24h-time-skipping', env.packets.handle(authNo));
  });
});
