// The cluster's own certificate authority and the certificates its mTLS needs: one for the
// Temporal server (frontend and between its services) and one for its clients (our workers,
// HTTP servers and the CLI). Made once under the cluster's data directory, then reused.
import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import forge from 'node-forge';

export interface ClusterCertificates {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** The name the server's certificate is issued to: clients check it. */
  serverName: string;
}

const SERVER_NAME = 'localhost';
const VALID_DAYS = 365;
/** Certificates this close to expiring are made again at start rather than failing mid-run. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

interface Issued {
  certPem: string;
  keyPem: string;
}

function keyPair(): { publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey; keyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ format: 'pem', type: 'spki' }).toString()),
    privateKey: forge.pki.privateKeyFromPem(privateKey.export({ format: 'pem', type: 'pkcs1' }).toString()),
    keyPem,
  };
}

function issue(
  commonName: string,
  extensions: object[],
  issuer?: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey },
): Issued & { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
  const pair = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = pair.publicKey;
  // Positive, 16 bytes: unique per certificate, as RFC 5280 asks.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + VALID_DAYS * 86_400_000);
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'red-packets cluster' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : subject);
  cert.setExtensions(extensions);
  cert.sign(issuer?.key ?? pair.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: pair.keyPem, cert, key: pair.privateKey };
}

function filesIn(dir: string): ClusterCertificates {
  return {
    caFile: join(dir, 'ca.pem'),
    serverCertFile: join(dir, 'server.pem'),
    serverKeyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client.key'),
    serverName: SERVER_NAME,
  };
}

/** The set is whole, each certificate issued by the CA, matching its key, and far from expiry. */
function usable(files: ClusterCertificates): boolean {
  try {
    const ca = new X509Certificate(readFileSync(files.caFile));
    const lasting = (cert: X509Certificate): boolean =>
      Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS;
    const pairs: Array<[string, string]> = [
      [files.serverCertFile, files.serverKeyFile],
      [files.clientCertFile, files.clientKeyFile],
    ];
    return (
      lasting(ca) &&
      pairs.every(([certFile, keyFile]) => {
        const cert = new X509Certificate(readFileSync(certFile));
        return (
          cert.checkIssued(ca) &&
          cert.verify(ca.publicKey) &&
          cert.checkPrivateKey(createPrivateKey(readFileSync(keyFile))) &&
          lasting(cert)
        );
      })
    );
  } catch {
    return false;
  }
}

/**
 * The CA and both certificates under `dir`: reused when whole, valid and not about to expire,
 * otherwise made again, all together (written aside, then moved into place in one rename).
 */
export function ensureClusterCertificates(dir: string): ClusterCertificates {
  const files = filesIn(dir);
  if (usable(files)) return files;

  const staging = `${dir}.new`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  mkdirSync(staging, { mode: 0o700 });
  const staged = filesIn(staging);
  const ca = issue('red-packets cluster CA', [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  // The server's certificate also serves as the client side between the server's own services.
  const server = issue(
    SERVER_NAME,
    [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: SERVER_NAME },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
    ca,
  );
  const client = issue(
    'red-packets client',
    [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
    ca,
  );
  writeFileSync(staged.caFile, ca.certPem);
  writeFileSync(staged.serverCertFile, server.certPem);
  writeFileSync(staged.serverKeyFile, server.keyPem, { mode: 0o600 });
  writeFileSync(staged.clientCertFile, client.certPem);
  writeFileSync(staged.clientKeyFile, client.keyPem, { mode: 0o600 });
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return files;
}

/** The variables that point our processes (and the CLI) at the cluster through mTLS. */
export function clientTlsEnv(certs: ClusterCertificates): Record<string, string> {
  return {
    TEMPORAL_TLS_CERT_FILE: certs.clientCertFile,
    TEMPORAL_TLS_KEY_FILE: certs.clientKeyFile,
    TEMPORAL_TLS_CA_FILE: certs.caFile,
    TEMPORAL_TLS_SERVER_NAME: certs.serverName,
  };
}
