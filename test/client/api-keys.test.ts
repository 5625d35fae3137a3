// API keys without a server: the token's shape, what the file keeps, how a token is matched, and
// how the live store reloads and fails closed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findKey,
  hashToken,
  MAX_KEYS,
  mintKey,
  parseKeysFile,
  readKeysFileOrEmpty,
  SCOPES,
  writeKeysFile,
} from '../../client/api-keys';
import { ApiKeyStore } from '../../client/http/api-key-store';
import { ensureDevelopmentKey } from '../../embedded/development-key';
import { eventually } from '../helpers/lifecycle-env';

const dir = () => mkdtempSync(join(tmpdir(), 'api-keys-unit-'));

describe('minting and matching', () => {
  it('mints a 256-bit token whose record keeps only its hash', () => {
    const { token, record } = mintKey(['packets:read', 'packets:read'], 'ops');
    expect(token).toMatch(/^rpk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ id: token.slice(4, 16), name: 'ops', scopes: ['packets:read'] });
    expect(record.sha256).toBe(hashToken(token));
    expect(JSON.stringify(record)).not.toContain(token.slice(17));
  });

  it('matches only the exact live token', () => {
    const live = mintKey(SCOPES, 'a');
    const revoked = mintKey(SCOPES, 'b');
    const keys = new Map([
      [live.record.id, live.record],
      [revoked.record.id, { ...revoked.record, revokedAt: '2026-11-26T00:00:00.000Z' }],
    ]);
    expect(findKey(keys, live.token)).toBe(live.record);
    expect(findKey(keys, revoked.token)).toBeUndefined();
    const lastCharFlipped = live.token.slice(0, -1) + (live.token.endsWith('A') ? 'B' : 'A');
    expect(findKey(keys, lastCharFlipped)).toBeUndefined();
    expect(findKey(keys, `${live.token} `)).toBeUndefined();
    expect(findKey(keys, live.record.sha256)).toBeUndefined();
    expect(findKey(keys, '')).toBeUndefined();
  });

  it('refuses a keys file that deviates in any field, saying where', () => {
    const { record } = mintKey(['codec'], 'x');
    const file = (keys: unknown[]) => JSON.stringify({ version: 1, keys });
    expect(parseKeysFile(file([record])).keys).toEqual([record]);
    expect(() => parseKeysFile('nope')).toThrow(/not JSON/);
    expect(() => parseKeysFile('{"keys":[]}')).toThrow(/version/);
    expect(() => parseKeysFile(file([{ ...record, id: 'ZZ' }]))).toThrow(/keys\[0\]\.id/);
    expect(() => parseKeysFile(file([record, record]))).toThrow(/appears twice/);
    expect(() => parseKeysFile(file([{ ...record, sha256: 'abc' }]))).toThrow(/keys\[0\]\.sha256/);
    expect(() => parseKeysFile(file([{ ...record, scopes: ['admin'] }]))).toThrow(/keys\[0\]\.scopes/);
    expect(() => parseKeysFile(file([{ ...record, scopes: 'codec' }]))).toThrow(/keys\[0\]\.scopes/);
    expect(() => parseKeysFile(file([{ ...record, revokedAt: '' }]))).toThrow(/keys\[0\]\.revokedAt/);
  });

  it('writes the keys file whole with mode 0600', () => {
    const path = join(dir(), 'nested', 'keys.json');
    const { record } = mintKey(['codec'], 'x');
    writeKeysFile(path, { version: 1, keys: [record] });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readKeysFileOrEmpty(path).keys).toEqual([record]);
    expect(readKeysFileOrEmpty(join(dir(), 'absent.json')).keys).toEqual([]);
  });
});

describe('the live key store', () => {
  it('sees a minted and a revoked key without a restart, and fails closed on a broken file', async () => {
    const path = join(dir(), 'keys.json');
    const first = mintKey(['packets:read'], 'first');
    writeKeysFile(path, { version: 1, keys: [first.record] });
    const problems: string[] = [];
    const store = new ApiKeyStore(path, { reloadIntervalMs: 50, onReloadError: (p) => problems.push(p) });
    try {
      expect(store.authenticate(first.token)?.id).toBe(first.record.id);
      const second = mintKey(['codec'], 'second');
      writeKeysFile(path, { version: 1, keys: [first.record, second.record] });
      expect(
        await eventually(
          async () => store.authenticate(second.token)?.id,
          (id) => id !== undefined,
          2000,
        ),
      ).toBe(second.record.id);
      writeKeysFile(path, {
        version: 1,
        keys: [{ ...first.record, revokedAt: new Date().toISOString() }, second.record],
      });
      expect(
        await eventually(
          async () => store.authenticate(first.token),
          (key) => key === undefined,
          2000,
        ),
      ).toBeUndefined();

      writeFileSync(path, '{"version":1,"keys":[{"id":"broken"');
      expect(
        await eventually(
          async () => store.authenticate(second.token),
          (key) => key === undefined,
          2000,
        ),
      ).toBeUndefined();
      expect(problems.join('\n')).toMatch(/no API key is accepted until it is fixed/);
      expect(problems.join('\n')).not.toContain(second.record.sha256);

      rmSync(path);
      writeKeysFile(path, { version: 1, keys: [second.record] });
      expect(
        await eventually(
          async () => store.authenticate(second.token)?.id,
          (id) => id !== undefined,
          2000,
        ),
      ).toBe(second.record.id);
    } finally {
      store.close();
    }
  });

  it('refuses to start on a missing or invalid file, naming API_KEYS_FILE', () => {
    expect(() => new ApiKeyStore(join(dir(), 'absent.json'))).toThrow(/^API_KEYS_FILE: .*no such file/);
    const broken = join(dir(), 'keys.json');
    writeFileSync(broken, '[]');
    expect(() => new ApiKeyStore(broken)).toThrow(/^API_KEYS_FILE: .*not a valid API keys file/);
  });
});

describe('the development key of npm start', () => {
  it('is created once with every scope, reused after, and replaced when revoked', () => {
    const dataDir = dir();
    const created = ensureDevelopmentKey(dataDir);
    expect(created.created).toBe(true);
    expect(statSync(created.tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(created.tokenFile, 'utf8').trim();
    const keys = readKeysFileOrEmpty(created.keysFile).keys;
    expect(keys).toHaveLength(1);
    expect(keys[0]!.scopes).toEqual([...SCOPES]);
    expect(readFileSync(created.keysFile, 'utf8')).not.toContain(token);

    expect(ensureDevelopmentKey(dataDir).created).toBe(false);
    expect(readFileSync(created.tokenFile, 'utf8').trim()).toBe(token);

    writeKeysFile(created.keysFile, {
      version: 1,
      keys: [{ ...keys[0]!, revokedAt: new Date().toISOString() }],
    });
    expect(ensureDevelopmentKey(dataDir).created).toBe(true);
    expect(readFileSync(created.tokenFile, 'utf8').trim()).not.toBe(token);
    expect(readKeysFileOrEmpty(created.keysFile).keys).toHaveLength(2);
  });
});

describe('redpacket keys', () => {
  const run = (path: string, ...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['bin/redpacket.cjs', 'keys', ...args], {
        cwd: join(__dirname, '..', '..'),
        env: { ...process.env, API_KEYS_FILE: path },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });

  it('loses no key when several commands write the file at once', async () => {
    const path = join(dir(), 'keys.json');
    const minted = await Promise.all(
      Array.from({ length: 6 }, () => run(path, 'create', '--scopes', 'packets:read')),
    );
    expect(minted.map((result) => result.code)).toEqual([0, 0, 0, 0, 0, 0]);
    const ids = minted.map((result) => result.stdout.trim().split('_')[1]);
    expect(
      readKeysFileOrEmpty(path)
        .keys.map((key) => key.id)
        .sort(),
    ).toEqual(ids.sort());
    expect(existsSync(`${path}.lock`)).toBe(false);
  }, 60_000);

  it('refuses to grow the file past its bound and prunes revoked keys', async () => {
    const path = join(dir(), 'keys.json');
    const revokedAt = new Date().toISOString();
    const full = Array.from({ length: MAX_KEYS }, (_, i) => ({
      ...mintKey(['codec'], `k${i}`).record,
      revokedAt,
    }));
    writeKeysFile(path, { version: 1, keys: full });
    const refused = await run(path, 'create', '--scopes', 'codec');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/more than 1000 keys: drop revoked ones with `keys prune`/);
    expect(readKeysFileOrEmpty(path).keys).toHaveLength(MAX_KEYS);
    expect((await run(path, 'prune')).stderr).toMatch(/dropped 1000 revoked/);
    expect((await run(path, 'create', '--scopes', 'codec')).code).toBe(0);
    expect(readKeysFileOrEmpty(path).keys).toHaveLength(1);
  }, 60_000);
});
