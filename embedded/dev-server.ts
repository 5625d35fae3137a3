// Runs the Temporal CLI's dev server (with its UI) as a child process of `npm start`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/messages';

export interface DevServerOptions {
  cliPath: string;
  ip: string;
  port: number;
  uiPort: number;
  namespace: string;
  dbFile: string;
  logFile: string;
  /** The UI decodes payloads through this codec endpoint (when payload encryption is on). */
  uiCodecEndpoint?: string;
  /** The server's own Prometheus metrics on 127.0.0.1:<port>/metrics (off when unset). */
  metricsPort?: number;
  /** Called about once a second while the server boots, with the seconds waited so far. */
  onWaiting?: (seconds: number) => void;
  bootTimeoutMs?: number;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

export class DevServerError extends Error {
  override name = 'DevServerError';
}

function devServerArgs(options: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', options.ip, '--port', String(options.port)];
  args.push('--ui-port', String(options.uiPort), '--db-filename', options.dbFile, '--log-level', 'warn');
  args.push('--namespace', options.namespace, '--ui-disable-news-fetch');
  if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  if (options.metricsPort !== undefined) args.push('--metrics-port', String(options.metricsPort));
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);
  return args;
}

async function isServing(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close();
  }
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const address = `${options.ip}:${options.port}`;
  if (await isServing(address)) {
    throw new DevServerError(
      `port ${options.port} already serves Temporal (is another \`npm start\` running?)`,
    );
  }
  mkdirSync(dirname(options.dbFile), { recursive: true });
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  // Its own process group: a Ctrl-C in the terminal reaches us only, and we stop it last, in order.
  const child = spawn(options.cliPath, devServerArgs(options), {
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);

  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ?? `exit code ${code}`));
  const started = Date.now();
  const timeout = options.bootTimeoutMs ?? 60_000;
  for (;;) {
    if (exited)
      throw new DevServerError(
        `Temporal dev server stopped while starting (${exited}); see ${options.logFile}`,
      );
    if (await isServing(address)) break;
    const waited = Date.now() - started;
    if (waited > timeout) {
      await stopChild(child, 5000);
      throw new DevServerError(
        `Temporal dev server did not answer within ${timeout / 1000}s; see ${options.logFile}`,
      );
    }
    options.onWaiting?.(Math.round(waited / 1000));
    await sleep(1000);
  }
  return {
    address,
    uiUrl: `http://localhost:${options.uiPort}`,
    stop: () => stopChild(child, 10_000),
  };
}
