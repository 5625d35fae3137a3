// Baselines for the benchmarks: the same shape of Temporal traffic as RedPacketLifecycle
// (updates, activities, a timer, a signal), doing no work.
import {
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { BaselineActivities } from './baseline-activities';

export const baselineClaim = defineUpdate<number, [string]>('baselineClaim');
export const baselineNotify = defineSignal('baselineNotify');
export const baselineSignal = defineSignal('baselineSignal');
export const signalsReceived = defineQuery<number>('signalsReceived');

const { doNothing, signalBack } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '30 seconds' });

/** k claim updates each running a no-op activity, a timer, a no-op "refund", then one signal. */
export async function BaselineLifecycle(claims: number, ttlMs: number): Promise<void> {
  let accepted = 0;
  let settled = 0;
  let notified = false;
  setHandler(baselineClaim, (claimId) => {
    accepted += 1;
    void doNothing(claimId).then(() => void (settled += 1));
    return accepted;
  });
  setHandler(baselineNotify, () => void (notified = true));
  await sleep(ttlMs);
  await condition(() => settled === accepted && accepted >= claims);
  await signalBack(workflowInfo().workflowId); // like the refund whose notification comes back as a signal
  await condition(() => notified);
}

/** An empty workflow that only counts signals (the hot-packet and webhook baselines). */
export async function SignalSink(): Promise<void> {
  let count = 0;
  setHandler(baselineSignal, () => void (count += 1));
  setHandler(signalsReceived, () => count);
  await condition(() => false);
}
