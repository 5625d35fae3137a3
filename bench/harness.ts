// What every benchmark runs on, each part in its own process as in production: a Temporal dev
// server, the sandbox gateway (Alipay), the HTTP server (API and webhook) and one worker serving
// the product's workflows and the baselines. This process only generates load and measures.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { AlipayGateway } from '../alipay/gateway';
import { parseAmount } from '../alipay/money';
import { mintKey, SCOPES, writeKeysFile } from '../client/api-keys';
import { createRedPacketClient, type RedPacketClient } from '../client/red-packet-client';
import { connectClient } from '../client/temporal-connection';
import { ensureSandboxKeys, type SandboxKeys } from '../sandbox/key-files';
import { SEARCH_ATTRIBUTES, type RedPacketInput } from '../workflows/messages';
import { devServerExecutable } from '../test/harness/server-executables';
import { payRedPacket } from '../test/helpers/pay';
import { freePort } from '../test/helpers/ports';

const ROOT = join(__dirname, '..');

export interface SandboxLedger {
  funded: number;
  disbursed: number;
  refunded: number;
  balance: number;
  operations: number;
}

export interface BenchEnv {
  client: Client;
  packets: RedPacketClient;
  keys: SandboxKeys;
  apiUrl: string;
  /** Headers of an API call: the bench's API key and JSON. */
  apiHeaders: Record<string, string>;
  webhookUrl: string;
  /** The sandbox's own URL (ledger, call limits). */
  sandboxUrl: string;
  taskQueue: string;
  /** The worker process's pid (its memory, its CPU). */
  workerPid: number | undefined;
  /** CPU milliseconds each part has used so far (Linux only; empty elsewhere). */
  cpuMs(): Record<string, number>;
  fund(totalFen: number): Promise<{ authNo: string; outOrderNo: string; payOperationId: string }>;
  /** Funds a packet and starts its lifecycle with the typed client; returns its auth_no. */
  openPacket(packet: Omit<RedPacketInput, 'authNo' | 'outOrderNo'>): Promise<string>;
  ledger(authNo: string): Promise<SandboxLedger>;
  close(): Promise<void>;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; waited < 120; waited++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${what} did not come up`);
}

function child(
  script: string,
  args: string[],
  env: Record<string, string>,
): ChildProcess & { output: () => string } {
  let output = '';
  // BENCH_PROFILE_DIR=<dir> writes a V8 CPU profile of each part (open it in Chrome's DevTools).
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const process_ = spawn(process.execPath, [...profile, '--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process_.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  process_.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(process_, { output: () => output });
}

export async function startBenchEnv(): Promise<BenchEnv> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-'));
  const server = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: devServerExecutable(),
      searchAttributes: [...SEARCH_ATTRIBUTES],
      log: { format: 'pretty', level: 'error' },
    },
  });
  const address = server.address;
  const taskQueue = `bench-${randomUUID()}`;
  const [sandboxPort, httpPort, webhookPort] = [await freePort(), await freePort(), await freePort()];
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const apiUrl = `http://127.0.0.1:${httpPort}`;
  const webhookUrl = `http://127.0.0.1:${webhookPort}`;
  const keysFile = join(dataDir, 'api-keys.json');
  const apiKey = mintKey(SCOPES, 'bench');
  writeKeysFile(keysFile, { version: 1, keys: [apiKey.record] });

  const sandbox = child('sandbox/main.ts', ['--port', String(sandboxPort), '--data-dir', dataDir], {});
  await until(async () => (await fetch(`${sandboxUrl}/healthz`)).ok, `the sandbox (${sandbox.output()})`);
  const keys = ensureSandboxKeys(join(dataDir, 'sandbox'));
  const alipayEnv = {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ALIPAY_GATEWAY: `${sandboxUrl}/gateway.do`,
    ALIPAY_APP_ID: keys.appId,
    ALIPAY_PRIVATE_KEY_FILE: join(keys.dir, 'app_private_key.pem'),
    ALIPAY_PUBLIC_KEY_FILE: join(keys.dir, 'alipay_public_key.pem'),
    ALIPAY_NOTIFY_URL: `${webhookUrl}/alipay/notify`,
  };
  const http = child('client/main.ts', [], {
    ...alipayEnv,
    HTTP_PORT: String(httpPort),
    WEBHOOK_PORT: String(webhookPort),
    API_KEYS_FILE: keysFile,
    // The benchmarks measure throughput from one key and one address: the limits stay on, set high.
    API_RATE_LIMIT: '100000',
    WEBHOOK_RATE_LIMIT: '100000',
  });
  await until(async () => (await fetch(`${apiUrl}/healthz`)).ok, `the HTTP server (${http.output()})`);
  const worker = child('bench/worker-process.ts', [], alipayEnv);
  await until(async () => worker.output().includes('bench worker ready'), `the worker (${worker.output()})`);

  const merchant = new AlipayGateway({
    gateway: `${sandboxUrl}/gateway.do`,
    appId: keys.appId,
    privateKey: keys.appPrivateKey,
    alipayPublicKey: keys.alipayPublicKey,
  });
  // Baselines send from a client connected the way the HTTP server connects: the same client.
  const client = await connectClient(address, 'default');
  const packets = createRedPacketClient(client, taskQueue);
  const fund: BenchEnv['fund'] = (totalFen) =>
    payRedPacket(merchant, { totalFen, notifyUrl: `${webhookUrl}/alipay/notify`, prefix: 'B' });
  return {
    client,
    packets,
    keys,
    apiUrl,
    apiHeaders: { authorization: `Bearer ${apiKey.token}`, 'content-type': 'application/json' },
    webhookUrl,
    sandboxUrl,
    taskQueue,
    workerPid: worker.pid,
    cpuMs: cpuReader({
      temporal: devServerPid(),
      worker: worker.pid,
      http: http.pid,
      sandbox: sandbox.pid,
    }),
    fund,
    async openPacket(packet) {
      const { payOperationId, ...funded } = await fund(packet.totalFen);
      await packets.createRedPacket({ ...packet, ...funded, funding: { payOperationId } });
      return funded.authNo;
    },
    async ledger(authNo) {
      const view = (await (await fetch(`${sandboxUrl}/sandbox/packets/${authNo}`)).json()) as Record<
        string,
        unknown
      >;
      const fen = (field: string): number => parseAmount(String(view[field]));
      return {
        funded: fen('funded'),
        disbursed: fen('disbursed'),
        refunded: fen('refunded'),
        balance: fen('balance'),
        operations: (view.operations as unknown[]).length,
      };
    },
    async close() {
      for (const process_ of [worker, http, sandbox]) process_.kill('SIGTERM');
      await merchant.close();
      await client.connection.close();
      await server.teardown();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const CLOCK_TICKS_PER_MS = 100 / 1000;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(pid: number | string): { command: string; fields: string[] } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = stat.lastIndexOf(')');
  return { command: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

function processCpuMs(pid: number): number {
  const { fields } = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_MS;
}

/** The Temporal dev server is a child of this process, started by the SDK. */
function devServerPid(): number | undefined {
  if (!existsSync('/proc')) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { command, fields } = statFields(entry);
      if (Number(fields[1]) === process.pid && command.startsWith('temporal')) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

function cpuReader(parts: Record<string, number | undefined>): () => Record<string, number> {
  return () => {
    if (!existsSync('/proc')) return {};
    const usage = process.cpuUsage();
    const times: Record<string, number> = { bench: (usage.user + usage.system) / 1000 };
    for (const [part, pid] of Object.entries(parts)) if (pid) times[part] = processCpuMs(pid);
    return times;
  };
}

/** Runs `count` tasks with at most `concurrency` in flight. */
export async function pool<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export function seconds(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

export function verdict(ratio: number, goal: number): string {
  return `ratio ${ratio.toFixed(2)} (goal >= ${goal.toFixed(1)}: ${ratio >= goal ? 'met' : 'MISSED'})`;
}
