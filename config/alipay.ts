// Alipay credentials from the environment (DESIGN.md section 5). Key files are read here; their
// contents never appear in an error.
import type { KeyObject } from 'node:crypto';
import { certificateSn, rootCertificateSn } from '../alipay/certs';
import { KeyFormatError, loadPrivateKey, loadPublicKey } from '../alipay/keys';
import { optional, readConfigFile, type Env } from './env';
import { ConfigError } from './errors';

export interface AlipayConfig {
  gateway: string;
  appId: string;
  privateKey: KeyObject;
  alipayPublicKey: KeyObject;
  certificates?: { appCertSn: string; alipayRootCertSn: string; alipayCertSn: string };
  notifyUrl?: string;
}

function required(env: Env, name: string, why: string): string {
  const raw = optional(env, name);
  if (!raw) throw new ConfigError(name, `required ${why}`);
  return raw;
}

function url(env: Env, name: string): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('not http(s)');
    return raw;
  } catch {
    throw new ConfigError(name, `expected an http(s) URL, got ${JSON.stringify(raw)}`);
  }
}

function readFile(name: string, path: string): string {
  return readConfigFile(name, path).toString('utf8');
}

function key<T>(name: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (error instanceof KeyFormatError) throw new ConfigError(name, error.message.replace(`${name}: `, ''));
    throw new ConfigError(name, 'not a usable PEM certificate or key');
  }
}

/** Real (or Alipay-sandbox) credentials, or undefined when ALIPAY_GATEWAY is not set. */
export function readAlipayConfig(env: Env = process.env): AlipayConfig | undefined {
  const gateway = url(env, 'ALIPAY_GATEWAY');
  if (!gateway) return undefined;
  const why = 'when ALIPAY_GATEWAY is set';
  const appId = required(env, 'ALIPAY_APP_ID', why);
  if (!/^\d{16}$/.test(appId)) throw new ConfigError('ALIPAY_APP_ID', 'expected the 16-digit app id');
  const privateKeyFile = required(env, 'ALIPAY_PRIVATE_KEY_FILE', why);
  const privateKey = key('ALIPAY_PRIVATE_KEY_FILE', () =>
    loadPrivateKey(readFile('ALIPAY_PRIVATE_KEY_FILE', privateKeyFile), 'ALIPAY_PRIVATE_KEY_FILE'),
  );
  const notifyUrl = url(env, 'ALIPAY_NOTIFY_URL');

  const publicKeyFile = optional(env, 'ALIPAY_PUBLIC_KEY_FILE');
  const certNames = ['ALIPAY_APP_CERT_FILE', 'ALIPAY_PUBLIC_CERT_FILE', 'ALIPAY_ROOT_CERT_FILE'] as const;
  const certFiles = certNames.map((name) => optional(env, name));
  const anyCert = certFiles.some(Boolean);
  if (publicKeyFile && anyCert) {
    throw new ConfigError(
      'ALIPAY_PUBLIC_KEY_FILE',
      'set it or the three ALIPAY_*_CERT_FILE variables, not both',
    );
  }
  if (publicKeyFile) {
    const alipayPublicKey = key('ALIPAY_PUBLIC_KEY_FILE', () =>
      loadPublicKey(readFile('ALIPAY_PUBLIC_KEY_FILE', publicKeyFile), 'ALIPAY_PUBLIC_KEY_FILE'),
    );
    return { gateway, appId, privateKey, alipayPublicKey, notifyUrl };
  }
  if (!anyCert) {
    throw new ConfigError(
      'ALIPAY_PUBLIC_KEY_FILE',
      `required ${why} (or certificate mode: ${certNames.join(', ')})`,
    );
  }
  const [appCert, alipayCert, rootCert] = certNames.map((name, index) => {
    const path = certFiles[index];
    if (!path) throw new ConfigError(name, 'required in certificate mode');
    return readFile(name, path);
  }) as [string, string, string];
  return {
    gateway,
    appId,
    privateKey,
    alipayPublicKey: key('ALIPAY_PUBLIC_CERT_FILE', () =>
      loadPublicKey(alipayCert, 'ALIPAY_PUBLIC_CERT_FILE'),
    ),
    certificates: {
      appCertSn: key('ALIPAY_APP_CERT_FILE', () => certificateSn(appCert)),
      alipayCertSn: key('ALIPAY_PUBLIC_CERT_FILE', () => certificateSn(alipayCert)),
      alipayRootCertSn: key('ALIPAY_ROOT_CERT_FILE', () => rootCertificateSn(rootCert)),
    },
    notifyUrl,
  };
}

export interface AlipayVerifierConfig {
  appId: string;
  alipayPublicKey: KeyObject;
}

/**
 * What the notify webhook needs and nothing more (no private key): our app id and Alipay's
 * public key, from ALIPAY_PUBLIC_KEY_FILE or, in certificate mode, ALIPAY_PUBLIC_CERT_FILE.
 */
export function readAlipayVerifier(env: Env = process.env): AlipayVerifierConfig {
  const appId = required(env, 'ALIPAY_APP_ID', 'to accept Alipay notifications');
  const publicKeyFile = optional(env, 'ALIPAY_PUBLIC_KEY_FILE') ?? optional(env, 'ALIPAY_PUBLIC_CERT_FILE');
  if (!publicKeyFile)
    throw new ConfigError('ALIPAY_PUBLIC_KEY_FILE', 'required to verify Alipay notifications');
  const name = optional(env, 'ALIPAY_PUBLIC_KEY_FILE') ? 'ALIPAY_PUBLIC_KEY_FILE' : 'ALIPAY_PUBLIC_CERT_FILE';
  return { appId, alipayPublicKey: key(name, () => loadPublicKey(readFile(name, publicKeyFile), name)) };
}
