import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTemporalSecurity } from '../config/temporal-security';
import { localNotifyUrl, readHttpConfig, readTemporalConfig } from '../config/env';

describe('environment config', () => {
  it('applies the documented defaults', () => {
    expect(readTemporalConfig({})).toEqual({
      address: undefined,
      namespace: 'default',
      taskQueue: 'red-packets',
    });
    const http = readHttpConfig({});
    expect(http.api).toMatchObject({ host: '127.0.0.1', port: 3000 });
    expect(http.webhook).toMatchObject({ host: '127.0.0.1', port: 3001 });
    expect(http.run).toEqual({ api: true, webhook: true });
    expect(http.api.limits).toEqual({ ratePerSecond: 1000, requestTimeoutMs: 30_000 });
    expect(http.apiKeysFile).toBeUndefined();
    expect(localNotifyUrl(http.webhook)).toBe('http://127.0.0.1:3001/alipay/notify');
  });

  it('reads the listeners, their limits and which ones run', () => {
    const http = readHttpConfig({
      HTTP_HOST: '10.0.0.5',
      HTTP_PORT: '8000',
      WEBHOOK_HOST: '0.0.0.0',
      WEBHOOK_PORT: '8001',
      SERVER_LISTENERS: 'webhook',
      API_RATE_LIMIT: '50',
      WEBHOOK_RATE_LIMIT: '20',
      HTTP_REQUEST_TIMEOUT_SECONDS: '5',
      API_KEYS_FILE: '/etc/red-packets/api-keys.json',
    });
    expect(http.api).toEqual({
      host: '10.0.0.5',
      port: 8000,
      limits: { ratePerSecond: 50, requestTimeoutMs: 5000 },
    });
    expect(http.webhook).toEqual({
      host: '0.0.0.0',
      port: 8001,
      limits: { ratePerSecond: 20, requestTimeoutMs: 5000 },
    });
    expect(http.run).toEqual({ api: false, webhook: true });
    expect(http.apiKeysFile).toBe('/etc/red-packets/api-keys.json');
    expect(localNotifyUrl(http.webhook)).toBe('http://127.0.0.1:8001/alipay/notify');
  });

  it.each([
    [{ SERVER_LISTENERS: 'api,admin' }, /^SERVER_LISTENERS: expected api, webhook or api,webhook/],
    [{ WEBHOOK_PORT: '70000' }, /^WEBHOOK_PORT: expected a port number/],
    [{ WEBHOOK_HOST: 'a host' }, /^WEBHOOK_HOST: expected an address/],
    [{ API_RATE_LIMIT: '0' }, /^API_RATE_LIMIT: expected a whole number from 1/],
    [{ HTTP_REQUEST_TIMEOUT_SECONDS: 'soon' }, /^HTTP_REQUEST_TIMEOUT_SECONDS: expected a whole number/],
  ])('rejects %o naming the variable', (env, expected) => {
    expect(() => readHttpConfig(env)).toThrow(expected);
  });

  it('reads explicit values', () => {
    const config = readTemporalConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'payments',
      TEMPORAL_TASK_QUEUE: 'rp',
    });
    expect(config).toEqual({ address: 'temporal.internal:7233', namespace: 'payments', taskQueue: 'rp' });
  });

  it.each(['0', '65536', '3000x', '-1', '1e3'])('rejects HTTP_PORT=%s naming the variable', (port) => {
    expect(() => readHttpConfig({ HTTP_PORT: port })).toThrow(/^HTTP_PORT: expected a port number/);
  });

  it('rejects a TEMPORAL_ADDRESS that is not host:port', () => {
    expect(() => readTemporalConfig({ TEMPORAL_ADDRESS: 'http://x:7233' })).toThrow(/^TEMPORAL_ADDRESS:/);
  });
});

describe('Temporal security config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'temporal-tls-'));
  const write = (name: string, content: string): string => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };

  it('is a plain connection by default', () => {
    expect(readTemporalSecurity({})).toEqual({});
  });

  it('reads mTLS files, a CA, a server name and an API key', () => {
    const security = readTemporalSecurity({
      TEMPORAL_TLS_CERT_FILE: write('client.pem', 'CERT'),
      TEMPORAL_TLS_KEY_FILE: write('client.key', 'KEY'),
      TEMPORAL_TLS_CA_FILE: write('ca.pem', 'CA'),
      TEMPORAL_TLS_SERVER_NAME: 'ns.tmprl.cloud',
    });
    expect(security.tls).toMatchObject({ serverNameOverride: 'ns.tmprl.cloud' });
    const tls = security.tls as {
      clientCertPair: { crt: Buffer; key: Buffer };
      serverRootCACertificate: Buffer;
    };
    expect(tls.clientCertPair.crt.toString()).toBe('CERT');
    expect(tls.serverRootCACertificate.toString()).toBe('CA');
    expect(readTemporalSecurity({ TEMPORAL_API_KEY_FILE: write('api-key', 'secret-key\n') })).toEqual({
      tls: {},
      apiKey: 'secret-key',
    });
  });

  it('refuses half an mTLS pair and unreadable files, naming the variable', () => {
    expect(() => readTemporalSecurity({ TEMPORAL_TLS_CERT_FILE: write('only.pem', 'CERT') })).toThrow(
      /^TEMPORAL_TLS_KEY_FILE: mTLS needs both/,
    );
    expect(() => readTemporalSecurity({ TEMPORAL_API_KEY_FILE: join(dir, 'missing') })).toThrow(
      /^TEMPORAL_API_KEY_FILE: cannot read .*ENOENT/,
    );
  });
});
