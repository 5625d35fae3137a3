import { readFileSync } from 'node:fs';
import { DEFAULT_TASK_QUEUE } from '../workflows/messages';
import { ConfigError } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

export interface TemporalConfig {
  /** host:port of an existing cluster; undefined means "run the embedded dev server". */
  address: string | undefined;
  namespace: string;
  taskQueue: string;
}

export interface HttpConfig {
  port: number;
  host: string;
  /** How long a new packet waits for its refund notification before asking Alipay. */
  refundNotifyWaitMs: number;
}

/** The variable's value, trimmed; undefined when unset or blank. */
export function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function readPort(env: Env, name: string, fallback: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new ConfigError(name, `expected a port number between 1 and 65535, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

export function readTemporalConfig(env: Env = process.env): TemporalConfig {
  const address = optional(env, 'TEMPORAL_ADDRESS');
  if (address !== undefined && !/^[^\s:/]+:\d{1,5}$/.test(address)) {
    throw new ConfigError('TEMPORAL_ADDRESS', `expected host:port, got ${JSON.stringify(address)}`);
  }
  return {
    address,
    namespace: optional(env, 'TEMPORAL_NAMESPACE') ?? 'default',
    taskQueue: optional(env, 'TEMPORAL_TASK_QUEUE') ?? DEFAULT_TASK_QUEUE,
  };
}

export function readHttpConfig(env: Env = process.env): HttpConfig {
  return {
    port: readPort(env, 'HTTP_PORT', 3000),
    host: optional(env, 'HTTP_HOST') ?? '0.0.0.0',
    refundNotifyWaitMs: readSeconds(env, 'REFUND_NOTIFY_WAIT_SECONDS', 600) * 1000,
  };
}

function readSeconds(env: Env, name: string, fallback: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) {
    throw new ConfigError(name, `expected a whole number of seconds from 1, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** A file named by a variable, read at start; a failure names the variable, never the content. */
export function readConfigFile(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(
      name,
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
}
