// Faults on demand, per method ("*" for all) and for notifications. Rates are 0..1.

export interface MethodFaults {
  /** Answer code 20000 isp.unknow-error without applying the request. */
  unavailableRate?: number;
  /** Answer 40004 SYSTEM_ERROR without applying the request. */
  systemErrorRate?: number;
  /** Added before answering, in milliseconds. */
  latencyMs?: number;
  /** Never answer and never apply: the client times out. */
  hangRate?: number;
  /** Never answer, but apply the request `lateApplyMs` later (default 5 s): it lands late. */
  lateApplyRate?: number;
  lateApplyMs?: number;
  /** Never answer and never apply requests paying one of these payees (user or logon ids). */
  hangPayees?: string[];
  /** Apply the request, then never answer: the response is lost. */
  lostResponseRate?: number;
  /** Refuse for good: 40004 with `refuseSubCode` (default PAYEE_ACCOUNT_STATUS_ERROR), not applied. */
  refuseRate?: number;
  refuseSubCode?: string;
  /**
   * Accept a disburse or refund but leave it INIT (the amount held, answered `status: INIT`); it
   * ends `pendingMs` later (default 5 s) as `pendingOutcome` says: SUCCESS (default) or CLOSED.
   */
  pendingRate?: number;
  pendingMs?: number;
  pendingOutcome?: 'SUCCESS' | 'CLOSED';
}

export interface NotifyFaults {
  /** The notification is never delivered. */
  dropRate?: number;
  /** Each attempt is delivered twice. */
  duplicateRate?: number;
  /** Delivered before the gateway answers the call that caused it. */
  earlyRate?: number;
}

export interface FaultConfig {
  methods?: Record<string, MethodFaults>;
  notify?: NotifyFaults;
}

const RATE_KEYS = [
  'unavailableRate',
  'systemErrorRate',
  'hangRate',
  'lostResponseRate',
  'refuseRate',
  'lateApplyRate',
  'pendingRate',
  'dropRate',
  'duplicateRate',
  'earlyRate',
];

/** Delays longer than a day are not a fault worth simulating (and overflow Node's timers). */
const MAX_DELAY_MS = 86_400_000;

export class FaultConfigError extends Error {
  override name = 'FaultConfigError';
}

function checkNumbers(where: string, values: object): void {
  for (const [key, value] of Object.entries(values)) {
    if (key === 'hangPayees') {
      const ok =
        Array.isArray(value) &&
        value.length <= 100 &&
        value.every((payee) => typeof payee === 'string' && payee.length >= 1 && payee.length <= 100);
      if (!ok) throw new FaultConfigError(`${where}.hangPayees must be at most 100 payee ids`);
      continue;
    }
    if (key === 'pendingOutcome') {
      if (value !== 'SUCCESS' && value !== 'CLOSED')
        throw new FaultConfigError(`${where}.pendingOutcome must be SUCCESS or CLOSED`);
      continue;
    }
    if (key === 'refuseSubCode') {
      if (typeof value !== 'string' || !/^[A-Z_.]{1,64}$/.test(value))
        throw new FaultConfigError(`${where}.refuseSubCode must be an Alipay sub_code`);
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new FaultConfigError(`${where}.${key} must be a non-negative number`);
    }
    if (key.endsWith('Ms') && value > MAX_DELAY_MS)
      throw new FaultConfigError(`${where}.${key} must be at most ${MAX_DELAY_MS} (a day)`);
    if (RATE_KEYS.includes(key) && value > 1)
      throw new FaultConfigError(`${where}.${key} must be between 0 and 1`);
    if (!RATE_KEYS.includes(key) && !['latencyMs', 'lateApplyMs', 'pendingMs'].includes(key))
      throw new FaultConfigError(`${where}.${key} is not a fault`);
  }
}

export function validateFaultConfig(input: unknown): FaultConfig {
  if (typeof input !== 'object' || input === null) throw new FaultConfigError('faults must be a JSON object');
  const config = input as FaultConfig;
  for (const [method, faults] of Object.entries(config.methods ?? {}))
    checkNumbers(`methods.${method}`, faults);
  checkNumbers('notify', config.notify ?? {});
  return { methods: { ...config.methods }, notify: { ...config.notify } };
}

export class Faults {
  private config: FaultConfig;

  constructor(
    config: FaultConfig = {},
    private readonly random: () => number = Math.random,
  ) {
    this.config = validateFaultConfig(config);
  }

  set(config: FaultConfig): void {
    this.config = validateFaultConfig(config);
  }

  current(): FaultConfig {
    return this.config;
  }

  forMethod(method: string): MethodFaults {
    return { ...this.config.methods?.['*'], ...this.config.methods?.[method] };
  }

  notify(): NotifyFaults {
    return this.config.notify ?? {};
  }

  roll(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.random() < rate;
  }
}
