// Temporal limits the updates in flight per workflow (10 by default). A burst of claims on one hot
// packet queues here, a few at a time per packet, instead of reaching callers as errors; a
// RESOURCE_EXHAUSTED that still gets through (several servers, one packet) is retried.
import { setTimeout as sleep } from 'node:timers/promises';

export const IN_FLIGHT_PER_PACKET = 8;
const RETRIES = 8;

export function isResourceExhausted(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (code === 8 || /RESOURCE_EXHAUSTED|in-flight update/i.test(current.message)) return true;
  }
  return false;
}

export class ClaimGate {
  private readonly queues = new Map<string, { running: number; waiting: Array<() => void> }>();

  async run<T>(packet: string, task: () => Promise<T>): Promise<T> {
    const queue = this.queues.get(packet) ?? { running: 0, waiting: [] };
    this.queues.set(packet, queue);
    if (queue.running >= IN_FLIGHT_PER_PACKET)
      await new Promise<void>((resolve) => queue.waiting.push(resolve));
    queue.running += 1;
    try {
      return await withRetries(task);
    } finally {
      queue.running -= 1;
      const next = queue.waiting.shift();
      if (next) next();
      else if (queue.running === 0) this.queues.delete(packet);
    }
  }
}

async function withRetries<T>(task: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      if (attempt >= RETRIES || !isResourceExhausted(error)) throw error;
      await sleep(20 * 2 ** attempt * (0.5 + Math.random()));
    }
  }
}
