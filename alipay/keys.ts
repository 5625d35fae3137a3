// Loads RSA keys from PEM or from the bare base64 that Alipay's key tool produces.
// Error messages never quote key material.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

export class KeyFormatError extends Error {
  override name = 'KeyFormatError';
}

function bareBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  return /^[A-Za-z0-9+/]+=*$/.test(compact) ? Buffer.from(compact, 'base64') : undefined;
}

function firstThatLoads(attempts: Array<() => KeyObject>): KeyObject | undefined {
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch {
      // try the next encoding
    }
  }
  return undefined;
}

function requireRsa(key: KeyObject | undefined, what: string): KeyObject {
  if (!key) throw new KeyFormatError(`${what}: expected PEM, or base64 PKCS#1/PKCS#8/SPKI DER`);
  if (key.asymmetricKeyType !== 'rsa') throw new KeyFormatError(`${what}: expected an RSA key`);
  return key;
}

/** PEM through `fromPem`, or bare base64 DER through each of `fromDer`; always an RSA key. */
function loadKey(
  text: string,
  what: string,
  fromPem: (pem: string) => KeyObject,
  fromDer: Array<(der: Buffer) => KeyObject>,
): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return requireRsa(firstThatLoads([() => fromPem(trimmed)]), what);
  const der = bareBase64(trimmed);
  return requireRsa(der && firstThatLoads(fromDer.map((load) => () => load(der))), what);
}

/** An RSA private key: PEM (PKCS#1 or PKCS#8), or bare base64 DER of either. */
export function loadPrivateKey(text: string, what = 'private key'): KeyObject {
  return loadKey(text, what, createPrivateKey, [
    (der) => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
    (der) => createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }),
  ]);
}

/** An RSA public key: PEM (SPKI, PKCS#1 or an X.509 certificate), or bare base64 DER of SPKI/PKCS#1. */
export function loadPublicKey(text: string, what = 'public key'): KeyObject {
  return loadKey(text, what, createPublicKey, [
    (der) => createPublicKey({ key: der, format: 'der', type: 'spki' }),
    (der) => createPublicKey({ key: der, format: 'der', type: 'pkcs1' }),
  ]);
}
