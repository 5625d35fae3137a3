// Alipay's call limits per app: beyond so many calls of a method in one second it answers
// 40005 (isv.method-call-limited) and applies nothing. Counted per method, per clock second.
import { METHODS } from '../alipay/methods';

/** Calls per second per method; a method not named is not limited. */
export type CallLimits = Record<string, number>;

/** Alipay's limits for red packet payouts and refunds (DESIGN.md: under 100 per second). */
export const DEFAULT_CALL_LIMITS: CallLimits = { [METHODS.disburse]: 100, [METHODS.refund]: 100 };

export class CallLimitError extends Error {
  override name = 'CallLimitError';
}

export function checkCallLimits(limits: unknown): CallLimits {
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits))
    throw new CallLimitError('call limits must be an object of method name to calls per second');
  const entries = Object.entries(limits);
  if (entries.length > 20) throw new CallLimitError('at most 20 methods can be limited');
  for (const [method, perSecond] of entries) {
    if (!Object.values(METHODS).some((known) => known === method))
      throw new CallLimitError(`${method.slice(0, 80)} is not a method the sandbox serves`);
    if (!Number.isInteger(perSecond) || (perSecond as number) < 1 || (perSecond as number) > 100_000)
      throw new CallLimitError(`${method} must be limited to 1 to 100000 calls per second`);
  }
  return Object.fromEntries(entries) as CallLimits;
}

export class CallLimiter {
  private limits: CallLimits;
  /** The second being counted and the calls in it, per limited method. */
  private readonly windows = new Map<string, { second: number; calls: number }>();
  /** Calls answered 40005, per method, since the sandbox started. */
  private readonly refusedCalls = new Map<string, number>();

  constructor(limits: CallLimits = DEFAULT_CALL_LIMITS) {
    this.limits = checkCallLimits(limits);
  }

  set(limits: unknown): void {
    this.limits = checkCallLimits(limits);
    this.windows.clear();
  }

  /** Counts a call; false when the method is over its limit for this second. */
  take(method: string, nowMs = Date.now()): boolean {
    const limit = this.limits[method];
    if (limit === undefined) return true;
    const second = Math.floor(nowMs / 1000);
    const window = this.windows.get(method);
    if (!window || window.second !== second) {
      this.windows.set(method, { second, calls: 1 });
      return true;
    }
    if (window.calls < limit) {
      window.calls += 1;
      return true;
    }
    this.refusedCalls.set(method, (this.refusedCalls.get(method) ?? 0) + 1);
    return false;
  }

  current(): { limits: CallLimits; refused: Record<string, number> } {
    return { limits: { ...this.limits }, refused: Object.fromEntries(this.refusedCalls) };
  }
}
