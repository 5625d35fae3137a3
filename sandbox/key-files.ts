// The sandbox's keys and certificates under .data/sandbox/: created on first start, reused after.
// Anyone holding these files can act as the merchant or as Alipay against the sandbox.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateSn, rootCertificateSn } from '../alipay/certs';
import { loadPrivateKey, loadPublicKey } from '../alipay/keys';
import { issueCertificate } from './certificates';

export const DEFAULT_SANDBOX_APP_ID = '2021000000000000';

export const SANDBOX_FILES = {
  appPrivateKey: 'app_private_key.pem',
  appPublicKey: 'app_public_key.pem',
  alipayPrivateKey: 'alipay_private_key.pem',
  alipayPublicKey: 'alipay_public_key.pem',
  appCert: 'app_cert.pem',
  alipayCert: 'alipay_cert.pem',
  rootCert: 'alipay_root_cert.pem',
} as const;

export interface SandboxKeys {
  dir: string;
  appId: string;
  appPrivateKey: KeyObject;
  appPublicKey: KeyObject;
  alipayPrivateKey: KeyObject;
  alipayPublicKey: KeyObject;
  appCertSn: string;
  alipayCertSn: string;
  alipayRootCertSn: string;
}

const ROOT_NAME = [
  { shortName: 'C', value: 'CN' },
  { shortName: 'O', value: 'Red Packets Sandbox' },
  { shortName: 'OU', value: 'Certification Authority' },
  { shortName: 'CN', value: 'Red Packets Sandbox Root CA' },
];

function rsaPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

function writePrivate(path: string, key: KeyObject): void {
  writeFileSync(path, key.export({ format: 'pem', type: 'pkcs1' }), { mode: 0o600 });
}

function writePublic(path: string, key: KeyObject): void {
  writeFileSync(path, key.export({ format: 'pem', type: 'spki' }));
}

function createFiles(dir: string, appId: string): void {
  const app = rsaPair();
  const alipay = rsaPair();
  const root = rsaPair();
  writePrivate(join(dir, SANDBOX_FILES.appPrivateKey), app.privateKey);
  writePublic(join(dir, SANDBOX_FILES.appPublicKey), app.publicKey);
  writePrivate(join(dir, SANDBOX_FILES.alipayPrivateKey), alipay.privateKey);
  writePublic(join(dir, SANDBOX_FILES.alipayPublicKey), alipay.publicKey);
  const serial = (): string => `7${randomBytes(15).toString('hex')}`;
  const issue = (subject: typeof ROOT_NAME, publicKey: KeyObject): string =>
    issueCertificate({
      subject,
      issuer: ROOT_NAME,
      serialHex: serial(),
      publicKey,
      signingKey: root.privateKey,
    });
  writeFileSync(join(dir, SANDBOX_FILES.rootCert), issue(ROOT_NAME, root.publicKey));
  writeFileSync(
    join(dir, SANDBOX_FILES.alipayCert),
    issue(
      [...ROOT_NAME.slice(0, 3), { shortName: 'CN', value: 'Red Packets Sandbox Alipay' }],
      alipay.publicKey,
    ),
  );
  writeFileSync(
    join(dir, SANDBOX_FILES.appCert),
    issue([...ROOT_NAME.slice(0, 3), { shortName: 'CN', value: appId }], app.publicKey),
  );
}

export function ensureSandboxKeys(dir: string, appId = DEFAULT_SANDBOX_APP_ID): SandboxKeys {
  mkdirSync(dir, { recursive: true });
  const paths = Object.values(SANDBOX_FILES).map((name) => join(dir, name));
  if (!paths.every((path) => existsSync(path))) createFiles(dir, appId);
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  return {
    dir,
    appId,
    appPrivateKey: loadPrivateKey(read(SANDBOX_FILES.appPrivateKey), SANDBOX_FILES.appPrivateKey),
    appPublicKey: loadPublicKey(read(SANDBOX_FILES.appPublicKey), SANDBOX_FILES.appPublicKey),
    alipayPrivateKey: loadPrivateKey(read(SANDBOX_FILES.alipayPrivateKey), SANDBOX_FILES.alipayPrivateKey),
    alipayPublicKey: loadPublicKey(read(SANDBOX_FILES.alipayPublicKey), SANDBOX_FILES.alipayPublicKey),
    appCertSn: certificateSn(read(SANDBOX_FILES.appCert)),
    alipayCertSn: certificateSn(read(SANDBOX_FILES.alipayCert)),
    alipayRootCertSn: rootCertificateSn(read(SANDBOX_FILES.rootCert)),
  };
}
