import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { loadPrivateKey, loadPublicKey } from '../../alipay/keys';
import { signRsa2, verifyRsa2 } from '../../alipay/sign';
import { rsaKeyPair } from '../helpers/keys';

const pair = rsaKeyPair();

function bare(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

describe('key loading', () => {
  it.each([
    ['PEM PKCS#1', pair.privatePkcs1Pem],
    ['PEM PKCS#8', pair.privatePkcs8Pem],
    ['bare base64 PKCS#1', bare(pair.privatePkcs1Pem)],
    ['bare base64 PKCS#8', bare(pair.privatePkcs8Pem)],
  ])('loads a private key from %s', (_name, text) => {
    const key = loadPrivateKey(text);
    expect(verifyRsa2('content', signRsa2('content', key), pair.publicKey)).toBe(true);
  });

  it.each([
    ['PEM SPKI', pair.publicPem],
    ['bare base64 SPKI', bare(pair.publicPem)],
    ['PEM PKCS#1', pair.publicKey.export({ format: 'pem', type: 'pkcs1' }).toString()],
  ])('loads a public key from %s', (_name, text) => {
    expect(verifyRsa2('content', signRsa2('content', pair.privateKey), loadPublicKey(text))).toBe(true);
  });

  it('rejects garbage and non-RSA keys without quoting the key', () => {
    const secret = bare(pair.privatePkcs8Pem);
    const corrupted = `${secret.slice(0, 100)}!!${secret.slice(100)}`;
    let message = '';
    try {
      loadPrivateKey(corrupted, 'ALIPAY_PRIVATE_KEY_FILE');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^ALIPAY_PRIVATE_KEY_FILE: expected PEM/);
    expect(message).not.toContain(secret.slice(0, 40));
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    expect(() => loadPrivateKey(ec.toString())).toThrow(/expected an RSA key/);
  });
});
