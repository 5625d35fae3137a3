// `npm run sandbox -- --port N` creates the key files on first start and reuses them after.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports';

const ROOT = join(__dirname, '..', '..');

async function runSandboxOnce(dataDir: string, port: number): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'sandbox/main.ts', '--port', String(port), '--data-dir', dataDir],
    {
      cwd: ROOT,
      env: { ...process.env, SANDBOX_APP_ID: '' },
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!output.includes('faults:') && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(health.status).toBe(200);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  return output;
}

describe('npm run sandbox', () => {
  it('prints its URL, creates the key files once and reuses them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
    const port = await freePort();
    const first = await runSandboxOnce(dataDir, port);
    expect(first).toContain(`http://127.0.0.1:${port}/gateway.do`);
    expect(first).toContain('app id 2021000000000000');
    const keyFile = join(dataDir, 'sandbox', 'app_private_key.pem');
    const before = readFileSync(keyFile, 'utf8');
    expect(statSync(keyFile).mode & 0o077).toBe(0);
    for (const name of ['app_public_key.pem', 'alipay_private_key.pem', 'alipay_public_key.pem']) {
      expect(readFileSync(join(dataDir, 'sandbox', name), 'utf8')).toMatch(/^-----BEGIN /);
    }
    await runSandboxOnce(dataDir, port);
    expect(readFileSync(keyFile, 'utf8')).toBe(before);
  }, 60_000);
});
