// Activities heartbeat while they wait on Alipay, so that an attempt lost with its worker (killed,
// restarted, partitioned) is retried after the heartbeat timeout, not after the whole
// start-to-close timeout (workflows/activity-proxies.ts).
import { Context } from '@temporalio/activity';

/** Well inside the proxies' 10 s heartbeat timeout (the SDK batches heartbeats anyway). */
const HEARTBEAT_EVERY_MS = 2_000;

/** Runs `work`, heartbeating meanwhile; outside an activity (a direct call) it only runs it. */
export async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return work();
  }
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

type Activity = (...args: never[]) => Promise<unknown>;

/** The same activities, each heartbeating while it runs. */
export function withHeartbeats<T extends Record<string, Activity>>(activities: T): T {
  const wrapped: Record<string, Activity> = {};
  for (const [name, activity] of Object.entries(activities))
    wrapped[name] = (...args) => heartbeating(() => activity(...args));
  return wrapped as T;
}
