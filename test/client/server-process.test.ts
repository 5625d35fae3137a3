// `npm run server` as production runs it: SERVER_LISTENERS picks the listeners, so a public host
// can run the webhook alone; the API listener does not start without a keys file.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ensureSandboxKeys } from '../../sandbox/key-files';
import { eventually } from '../helpers/lifecycle-env';
import { freePort } from '../helpers/ports';

const ROOT = join(__dirname, '..', '..');
const keys = ensureSandboxKeys(join(mkdtempSync(join(tmpdir(), 'server-process-')), 'sandbox'));

function server(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'client/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      ALIPAY_APP_ID: keys.appId,
      ALIPAY_PUBLIC_KEY_FILE: join(keys.dir, 'alipay_public_key.pem'),
      API_KEYS_FILE: '',
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exit, output: () => output };
}

const reachable = (url: string) =>
  fetch(url).then(
    (response) => response.status,
    () => 'refused',
  );

describe('npm run server', () => {
  it('runs the webhook alone with SERVER_LISTENERS=webhook: no API port, no keys file needed', async () => {
    const [apiPort, webhookPort] = [await freePort(), await freePort()];
    const run = server({
      SERVER_LISTENERS: 'webhook',
      HTTP_PORT: String(apiPort),
      WEBHOOK_PORT: String(webhookPort),
    });
    try {
      expect(
        await eventually(
          () => reachable(`http://127.0.0.1:${webhookPort}/healthz`),
          (s) => s === 200,
        ),
      ).toBe(200);
      expect(run.output()).toContain(`Alipay webhook on http://127.0.0.1:${webhookPort}/alipay/notify`);
      expect(await reachable(`http://127.0.0.1:${apiPort}/healthz`)).toBe('refused');
    } finally {
      run.child.kill('SIGTERM');
      expect(await run.exit).toBe(0);
    }
  });

  it('refuses to start the API listener without API_KEYS_FILE, in one line naming it', async () => {
    const run = server({ HTTP_PORT: String(await freePort()), WEBHOOK_PORT: String(await freePort()) });
    expect(await run.exit).toBe(1);
    expect(run.output().trim().split('\n')).toEqual([
      expect.stringMatching(/^server: API_KEYS_FILE: required/),
    ]);
  });

  it('refuses an API_KEYS_FILE that does not parse, naming the variable and never its content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bad-keys-'));
    const path = join(dir, 'keys.json');
    writeFileSync(path, '{"version":1,"keys":[{"id":"zz","sha256":"secret-looking"}]}');
    const run = server({
      API_KEYS_FILE: path,
      HTTP_PORT: String(await freePort()),
      WEBHOOK_PORT: String(await freePort()),
    });
    expect(await run.exit).toBe(1);
    expect(run.output()).toMatch(/^server: API_KEYS_FILE: .*keys\[0\]\.id must be 12 hex digits/);
    expect(run.output()).not.toContain('secret-looking');
  });
});
