// `npm start` as a person runs it: the launcher process, its URLs, Ctrl-C/SIGTERM, bad config.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection, Client } from '@temporalio/client';
import { freePort } from './helpers/ports';

const ROOT = join(__dirname, '..');

interface Launch {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exit: Promise<number | null>;
}

function launch(env: Record<string, string>): Launch {
  const child = spawn(process.execPath, ['--import', 'tsx', 'embedded/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: '', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function waitFor(launch: Launch, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!launch.output().includes(text)) {
    if (Date.now() > deadline || launch.child.exitCode !== null) {
      throw new Error(`did not print ${JSON.stringify(text)}; output:\n${launch.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidsListeningOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

describe('npm start (embedded default)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'red-packets-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves /healthz and the UI, stops every child on SIGTERM, and keeps workflows across restarts', async () => {
    const ports = {
      temporal: await freePort(),
      ui: await freePort(),
      http: await freePort(),
      sandbox: await freePort(),
    };
    const env = {
      DATA_DIR: dataDir,
      SANDBOX_PORT: String(ports.sandbox),
      HTTP_PORT: String(ports.http),
      TEMPORAL_DEV_SERVER_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
    };
    const first = launch(env);
    await waitFor(first, 'Press Ctrl-C to stop.', 90_000);
    expect(first.output()).toContain(`http://localhost:${ports.http}`);
    expect(first.output()).toContain(`http://localhost:${ports.ui}`);
    expect((await fetch(`http://127.0.0.1:${ports.http}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.sandbox}/healthz`)).status).toBe(200);

    // The CLI demo against this `npm start`: funds a packet in its sandbox and sees it through.
    const demo = spawn(
      process.execPath,
      ['bin/redpacket.cjs', 'demo', '--ttl-seconds', '2', '--shares', '4'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          REDPACKET_API_URL: `http://127.0.0.1:${ports.http}`,
          SANDBOX_PORT: String(ports.sandbox),
          DATA_DIR: dataDir,
          TEMPORAL_UI_URL: `http://localhost:${ports.ui}`,
        },
      },
    );
    let demoOutput = '';
    demo.stdout.on('data', (chunk: Buffer) => (demoOutput += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (demoOutput += chunk.toString()));
    expect(await new Promise((resolve) => demo.once('exit', resolve))).toBe(0);
    expect(demoOutput).toContain('Final state: COMPLETED');
    expect(demoOutput).toMatch(
      new RegExp(`http://localhost:${ports.ui}/namespaces/default/workflows/red-packet-\\w+`),
    );
    expect(demoOutput).toMatch(/"balance": "0\.00"/);

    const address = `127.0.0.1:${ports.temporal}`;
    const connection = await Connection.connect({ address });
    const workflowId = `persisted-${Date.now()}`;
    // No worker polls this queue: the execution just has to survive a restart.
    await new Client({ connection }).workflow.start('NotRegistered', { taskQueue: 'nobody', workflowId });
    await connection.close();

    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(first.output()).toContain('Stopped.');
    expect(await pidsListeningOn(ports.temporal)).toBe(false);
    expect(isAlive(first.child.pid!)).toBe(false);

    const second = launch(env);
    try {
      await waitFor(second, 'Press Ctrl-C to stop.', 90_000);
      const again = await Connection.connect({ address });
      const description = await new Client({ connection: again }).workflow.getHandle(workflowId).describe();
      expect(description.status.name).toBe('RUNNING');
      await again.close();
    } finally {
      second.child.kill('SIGINT');
      expect(await second.exit).toBe(0);
    }
    expect(await pidsListeningOn(ports.temporal)).toBe(false);
  }, 240_000);

  it.each([
    [{ HTTP_PORT: 'eighty' }, /^npm start: HTTP_PORT: expected a port number/],
    [
      { TEMPORAL_ADDRESS: '127.0.0.1:1' },
      /^npm start: TEMPORAL_ADDRESS: cannot reach Temporal at 127\.0\.0\.1:1/,
    ],
    [{ TEMPORAL_ADDRESS: 'not an address' }, /^npm start: TEMPORAL_ADDRESS: expected host:port/],
  ])('fails with one clear line on bad config %o', async (env, expected) => {
    const run = launch({ DATA_DIR: dataDir, ...env });
    expect(await run.exit).toBe(1);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
  });
});
