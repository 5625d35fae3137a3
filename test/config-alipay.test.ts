import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAlipayConfig, readAlipayVerifier } from '../config/alipay';
import { ensureSandboxKeys } from '../sandbox/key-files';

const dir = mkdtempSync(join(tmpdir(), 'alipay-config-'));
const keys = ensureSandboxKeys(join(dir, 'sandbox'));
const file = (name: string) => join(keys.dir, name);
const base = {
  ALIPAY_GATEWAY: 'https://openapi.alipay.com/gateway.do',
  ALIPAY_APP_ID: '2021000000000000',
  ALIPAY_PRIVATE_KEY_FILE: file('app_private_key.pem'),
};

describe('Alipay configuration', () => {
  it('is absent without ALIPAY_GATEWAY (npm start then runs the sandbox)', () => {
    expect(readAlipayConfig({})).toBeUndefined();
  });

  it('loads public-key mode and certificate mode', () => {
    const keyMode = readAlipayConfig({ ...base, ALIPAY_PUBLIC_KEY_FILE: file('alipay_public_key.pem') });
    expect(keyMode?.certificates).toBeUndefined();
    const certMode = readAlipayConfig({
      ...base,
      ALIPAY_APP_CERT_FILE: file('app_cert.pem'),
      ALIPAY_PUBLIC_CERT_FILE: file('alipay_cert.pem'),
      ALIPAY_ROOT_CERT_FILE: file('alipay_root_cert.pem'),
    });
    expect(certMode?.certificates).toEqual({
      appCertSn: keys.appCertSn,
      alipayCertSn: keys.alipayCertSn,
      alipayRootCertSn: keys.alipayRootCertSn,
    });
    expect(
      readAlipayVerifier({
        ALIPAY_APP_ID: '2021000000000000',
        ALIPAY_PUBLIC_CERT_FILE: file('alipay_cert.pem'),
      }).appId,
    ).toBe('2021000000000000');
  });

  it.each([
    [{ ALIPAY_GATEWAY: 'ftp://x' }, /^ALIPAY_GATEWAY: expected an http\(s\) URL/],
    [{ ...base, ALIPAY_APP_ID: '' }, /^ALIPAY_APP_ID: required/],
    [{ ...base, ALIPAY_APP_ID: '12ab' }, /^ALIPAY_APP_ID: expected the 16-digit app id/],
    [
      { ...base, ALIPAY_PRIVATE_KEY_FILE: join(dir, 'missing.pem') },
      /^ALIPAY_PRIVATE_KEY_FILE: cannot read .*missing\.pem \(ENOENT\)/,
    ],
    [{ ...base }, /^ALIPAY_PUBLIC_KEY_FILE: required/],
    [
      {
        ...base,
        ALIPAY_PUBLIC_KEY_FILE: file('alipay_public_key.pem'),
        ALIPAY_APP_CERT_FILE: file('app_cert.pem'),
      },
      /^ALIPAY_PUBLIC_KEY_FILE: set it or the three/,
    ],
    [
      { ...base, ALIPAY_APP_CERT_FILE: file('app_cert.pem') },
      /^ALIPAY_PUBLIC_CERT_FILE: required in certificate mode/,
    ],
  ])('refuses %j with one line naming the variable', (env, expected) => {
    expect(() => readAlipayConfig(env)).toThrow(expected);
  });

  it('names a malformed key file without quoting it', () => {
    const broken = join(dir, 'broken.pem');
    writeFileSync(broken, 'MIIEsecretsecretsecret');
    expect(() =>
      readAlipayConfig({ ...base, ALIPAY_PRIVATE_KEY_FILE: broken, ALIPAY_PUBLIC_KEY_FILE: broken }),
    ).toThrow(/^ALIPAY_PRIVATE_KEY_FILE: expected PEM/);
    let refusal = '';
    try {
      readAlipayConfig({ ...base, ALIPAY_PRIVATE_KEY_FILE: broken });
    } catch (error) {
      refusal = String(error);
    }
    expect(refusal).toMatch(/ALIPAY_PRIVATE_KEY_FILE: expected PEM/);
    expect(refusal).not.toContain('secretsecret');
  });

  it('the standalone worker refuses to start without its config, in one line', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:7233', ALIPAY_GATEWAY: '' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('worker: ALIPAY_GATEWAY: required for a standalone worker');
  });
});
