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

export interface ListenerLimits {
  /** Requests a second: per API key on the API listener, per client address on the webhook. */
  ratePerSecond: number;
  /** A request must arrive whole within this (a body trickled byte by byte is cut). */
  requestTimeoutMs: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = { ratePerSecond: 1000, requestTimeoutMs: 30_000 };

export interface Listener {
  host: string;
  port: number;
  limits: ListenerLimits;
}

export interface HttpConfig {
  /** The service API: the merchant's services, with API keys. */
  api: Listener;
  /** The Alipay webhook: /alipay/notify and /healthz, nothing else. */
  webhook: Listener;
  /** Which listeners this process runs (SERVER_LISTENERS: `api`, `webhook` or both). */
  run: { api: boolean; webhook: boolean };
  /** API_KEYS_FILE: hashes of the API keys; unset means "none configured". */
  apiKeysFile: string | undefined;
  /** TRUST_PROXY: proxies whose X-Forwarded-For names the client. */
  trustProxy: string | undefined;
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

function readHost(env: Env, name: string): string {
  const host = optional(env, name) ?? '127.0.0.1';
  if (!/^[0-9A-Za-z.:-]{1,253}$/.test(host)) {
    throw new ConfigError(name, `expected an address or host name to listen on, got ${JSON.stringify(host)}`);
  }
  return host;
}

function readListeners(env: Env): HttpConfig['run'] {
  const raw = optional(env, 'SERVER_LISTENERS') ?? 'api,webhook';
  const names = raw.split(',').map((name) => name.trim());
  if (names.length === 0 || !names.every((name) => name === 'api' || name === 'webhook')) {
    throw new ConfigError(
      'SERVER_LISTENERS',
      `expected api, webhook or api,webhook, got ${JSON.stringify(raw)}`,
    );
  }
  return { api: names.includes('api'), webhook: names.includes('webhook') };
}

export function readHttpConfig(env: Env = process.env): HttpConfig {
  const requestTimeoutMs =
    readWholeNumber(env, 'HTTP_REQUEST_TIMEOUT_SECONDS', DEFAULT_LISTENER_LIMITS.requestTimeoutMs / 1000) *
    1000;
  const listener = (names: { host: string; port: string; rate: string }, port: number): Listener => ({
    host: readHost(env, names.host),
    port: readPort(env, names.port, port),
    limits: {
      ratePerSecond: readWholeNumber(env, names.rate, DEFAULT_LISTENER_LIMITS.ratePerSecond),
      requestTimeoutMs,
    },
  });
  return {
    api: listener({ host: 'HTTP_HOST', port: 'HTTP_PORT', rate: 'API_RATE_LIMIT' }, 3000),
    webhook: listener({ host: 'WEBHOOK_HOST', port: 'WEBHOOK_PORT', rate: 'WEBHOOK_RATE_LIMIT' }, 3001),
    run: readListeners(env),
    apiKeysFile: optional(env, 'API_KEYS_FILE'),
    trustProxy: optional(env, 'TRUST_PROXY'),
    refundNotifyWaitMs: readWholeNumber(env, 'REFUND_NOTIFY_WAIT_SECONDS', 600) * 1000,
  };
}

/** How a client on this machine reaches a listener (one on every interface answers on loopback too). */
export function localUrl(host: string, port: number): string {
  const reachable = ['0.0.0.0', '::', 'localhost'].includes(host) ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** Where Alipay reaches a webhook listener on this machine. */
export function localNotifyUrl(webhook: Pick<Listener, 'host' | 'port'>): string {
  return `${localUrl(webhook.host, webhook.port)}/alipay/notify`;
}

function readWholeNumber(env: Env, name: string, fallback: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) {
    throw new ConfigError(name, `expected a whole number from 1, got ${JSON.stringify(raw)}`);
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
