// `npm start` as a person runs it: the launcher process, its URLs, Ctrl-C/SIGTERM, bad config.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection, Client } from '@temporalio/client';
import { hashToken } from '../client/api-keys';
import { eventually } from './helpers/lifecycle-env';
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

/** `npm run -s redpacket -- ...` with the environment `npm start` was given. */
async function redpacket(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = spawn(process.execPath, ['bin/redpacket.cjs', ...args], {
    cwd: ROOT,
    env: { ...process.env, REDPACKET_API_URL: '', REDPACKET_API_KEY: '', API_KEYS_FILE: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
  return { code, stdout, stderr };
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
      webhook: await freePort(),
      sandbox: await freePort(),
    };
    const env = {
      DATA_DIR: dataDir,
      SANDBOX_PORT: String(ports.sandbox),
      HTTP_PORT: String(ports.http),
      WEBHOOK_PORT: String(ports.webhook),
      TEMPORAL_DEV_SERVER_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
    };
    const first = launch(env);
    await waitFor(first, 'Press Ctrl-C to stop.', 90_000);
    expect(first.output()).toContain(`HTTP API        http://127.0.0.1:${ports.http}`);
    expect(first.output()).toContain(`Alipay webhook  http://127.0.0.1:${ports.webhook}/alipay/notify`);
    expect(first.output()).toContain(`http://localhost:${ports.ui}`);
    const tokenFile = join(dataDir, 'api-key');
    expect(first.output()).toContain(`API key         ${tokenFile}  (development key, every scope, new)`);
    expect(statSync(tokenFile).mode & 0o077).toBe(0);
    const developmentToken = readFileSync(tokenFile, 'utf8').trim();
    const keysFile = readFileSync(join(dataDir, 'api-keys.json'), 'utf8');
    expect(keysFile).toContain(hashToken(developmentToken));
    expect(keysFile).not.toContain(developmentToken);
    expect((await fetch(`http://127.0.0.1:${ports.http}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.webhook}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.http}/red-packets/ANY1`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.sandbox}/healthz`)).status).toBe(200);

    // The CLI demo against this `npm start`, with the same variables and no key given: it finds
    // the development key, funds a packet in the sandbox and sees it through.
    const demo = await redpacket(env, 'demo', '--ttl-seconds', '6', '--shares', '4');
    const demoOutput = demo.stdout + demo.stderr;
    expect(demo.code).toBe(0);
    expect(demoOutput).toContain('Final state: COMPLETED');
    expect(demoOutput).toMatch(
      new RegExp(`http://localhost:${ports.ui}/namespaces/default/workflows/red-packet-\\w+`),
    );
    expect(demoOutput).toMatch(/"balance": "0\.00"/);
    const authNo = /paid: auth_no (\w+)/.exec(demoOutput)![1]!;

    // The daily reconciliation: its Schedule made at start, and a past day reconciled on demand
    // (the demo's packet closed since that day began: checked by query; its pay is on no bill of then).
    expect(first.output()).toContain(
      'Reconciliation  Schedule red-packet-reconciliation created: 0 10 * * * Asia/Shanghai',
    );
    const beijingToday = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const yesterday = new Date(Date.parse(beijingToday) - 86_400_000).toISOString().slice(0, 10);
    const reconciled = await redpacket(env, 'reconcile', '--date', yesterday);
    expect(reconciled.stderr).toBe('');
    expect(reconciled.code).toBe(0);
    expect(reconciled.stdout).toContain(
      `Reconciling ${yesterday} (Beijing time): http://localhost:${ports.ui}/namespaces/default/workflows/red-packet-reconciliation-${yesterday}`,
    );
    expect(reconciled.stdout).toContain('Packets checked: 1\n');
    expect(reconciled.stdout).toContain('Bill: 0 lines, matched\n');
    expect(reconciled.stdout).toContain('Differences: 0\n');
    const unfinished = await redpacket(env, 'reconcile', '--date', beijingToday);
    expect(unfinished.code).toBe(1);
    expect(unfinished.stderr).toContain(`${beijingToday} is not over yet in Beijing time`);

    // A read-only key minted by the CLI: the token alone on stdout, usable at once, refused for
    // what it may not do, and refused altogether within seconds of its revocation.
    const minted = await redpacket(env, 'keys', 'create', '--scopes', 'packets:read', '--name', 'dashboard');
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    expect(token).toMatch(/^rpk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(minted.stderr).toContain(join(dataDir, 'api-keys.json'));
    const keyId = token.split('_')[1]!;
    const withToken = (method: string, path: string) =>
      fetch(`http://127.0.0.1:${ports.http}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}` },
      });
    expect(
      (
        await eventually(
          () => withToken('GET', `/red-packets/${authNo}`),
          (r) => r.status === 200,
        )
      ).status,
    ).toBe(200);
    expect((await withToken('POST', `/red-packets/${authNo}/refund`)).status).toBe(403);
    const listed = await redpacket(env, 'keys', 'list');
    expect(listed.stdout).toMatch(new RegExp(`^${keyId}  live .*packets:read.*dashboard$`, 'm'));
    expect(listed.stdout + listed.stderr).not.toContain(hashToken(token));
    expect((await redpacket(env, 'keys', 'revoke', keyId)).code).toBe(0);
    expect(
      (
        await eventually(
          () => withToken('GET', `/red-packets/${authNo}`),
          (r) => r.status === 401,
          5000,
        )
      ).status,
    ).toBe(401);
    expect((await redpacket(env, 'keys', 'revoke', 'ffffffffffff')).code).toBe(1);

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

    const second = launch({ ...env, RECONCILE_CRON: '30 9 * * *' });
    try {
      await waitFor(second, 'Press Ctrl-C to stop.', 90_000);
      expect(second.output()).toContain(
        'Schedule red-packet-reconciliation updated: 30 9 * * * Asia/Shanghai',
      );
      expect(second.output()).toContain(`API key         ${tokenFile}  (development key, every scope)`);
      expect(readFileSync(tokenFile, 'utf8').trim()).toBe(developmentToken);
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
    [{ RECONCILE_CRON: 'every morning' }, /^npm start: RECONCILE_CRON: must be five cron fields/],
  ])('fails with one clear line on bad config %o', async (env, expected) => {
    const run = launch({ DATA_DIR: dataDir, ...env });
    expect(await run.exit).toBe(1);
    const lines = run.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
  });
});
