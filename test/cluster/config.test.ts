// `npm run cluster`'s own pieces that need no cluster: its certificates and the server's config.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clientTlsEnv, ensureClusterCertificates } from '../../cluster/certificates';
import { DEFAULT_CLUSTER_PORTS, serverConfigYaml } from '../../cluster/server-config';
import { readTemporalSecurity } from '../../config/temporal-security';

const dir = mkdtempSync(join(tmpdir(), 'cluster-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the cluster certificates', () => {
  const certs = ensureClusterCertificates(dir);
  const ca = new X509Certificate(readFileSync(certs.caFile));
  const server = new X509Certificate(readFileSync(certs.serverCertFile));
  const client = new X509Certificate(readFileSync(certs.clientCertFile));

  it('chain to the cluster CA: the server is localhost and 127.0.0.1, the client can only be a client', () => {
    expect(ca.ca).toBe(true);
    expect(server.verify(ca.publicKey) && server.checkIssued(ca)).toBe(true);
    expect(client.verify(ca.publicKey) && client.checkIssued(ca)).toBe(true);
    expect(server.ca || client.ca).toBe(false);
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(client.checkHost('localhost')).toBeUndefined();
  });

  it('keep their keys private to the owner, match them, and are reused, not remade', () => {
    for (const key of [certs.serverKeyFile, certs.clientKeyFile]) expect(statSync(key).mode & 0o077).toBe(0);
    expect(server.checkPrivateKey(createPrivateKey(readFileSync(certs.serverKeyFile)))).toBe(true);
    expect(client.checkPrivateKey(createPrivateKey(readFileSync(certs.clientKeyFile)))).toBe(true);
    const before = readFileSync(certs.clientCertFile, 'utf8');
    ensureClusterCertificates(dir);
    expect(readFileSync(certs.clientCertFile, 'utf8')).toBe(before);
  });

  it('are made again, all together, when the set on disk is broken (a key that does not match)', () => {
    const other = mkdtempSync(join(tmpdir(), 'cluster-tls-broken-'));
    try {
      const first = ensureClusterCertificates(join(other, 'tls'));
      const caBefore = readFileSync(first.caFile, 'utf8');
      writeFileSync(first.clientKeyFile, readFileSync(first.serverKeyFile));
      const again = ensureClusterCertificates(join(other, 'tls'));
      expect(readFileSync(again.caFile, 'utf8')).not.toBe(caBefore);
      const client = new X509Certificate(readFileSync(again.clientCertFile));
      expect(client.checkPrivateKey(createPrivateKey(readFileSync(again.clientKeyFile)))).toBe(true);
      expect(client.checkIssued(new X509Certificate(readFileSync(again.caFile)))).toBe(true);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('reach our processes through the same TEMPORAL_TLS_* settings a secured cluster uses', () => {
    const { tls } = readTemporalSecurity(clientTlsEnv(certs));
    expect(tls).toMatchObject({ serverNameOverride: 'localhost' });
    const config = tls as { clientCertPair?: { crt: Buffer }; serverRootCACertificate?: Buffer };
    expect(config.clientCertPair?.crt.toString()).toBe(readFileSync(certs.clientCertFile, 'utf8'));
    expect(config.serverRootCACertificate?.toString()).toBe(readFileSync(certs.caFile, 'utf8'));
  });

  it('are what the server config requires of every client, on the frontend and between services', () => {
    const yaml = serverConfigYaml({
      ports: DEFAULT_CLUSTER_PORTS,
      certs,
      databaseUser: 'temporal',
      databasePassword: 'secret',
      dynamicConfigFile: '/x/dynamicconfig.yaml',
    });
    expect(yaml.match(/requireClientAuth: true/g)).toHaveLength(2);
    expect(yaml.match(new RegExp(`clientCaFiles: \\["${certs.caFile}"\\]`, 'g'))).toHaveLength(2);
    expect(yaml).toContain(`systemWorker:\n      certFile: "${certs.serverCertFile}"`);
    expect(yaml).toContain(`grpcPort: ${DEFAULT_CLUSTER_PORTS.frontend}`);
    expect(yaml).toContain(`connectAddr: "127.0.0.1:${DEFAULT_CLUSTER_PORTS.postgres}"`);
  });
});
