// RSA2 (SHA256withRSA) signing and verification of Alipay sign content.
import { createSign, createVerify, type KeyObject } from 'node:crypto';

export type SignableParams = Readonly<Record<string, string | undefined | null>>;

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The string Alipay signs: every parameter but the excluded ones, empty values dropped,
 * keys in byte order, `k=v` joined with `&`, values raw (not URL-encoded).
 */
export function buildSignContent(params: SignableParams, exclude: readonly string[] = ['sign']): string {
  return Object.keys(params)
    .filter((key) => !exclude.includes(key))
    .filter((key) => {
      const value = params[key];
      return value !== undefined && value !== null && value !== '';
    })
    .sort(byteOrder)
    .map((key) => `${key}=${params[key]}`)
    .join('&');
}

export function signRsa2(content: string, privateKey: KeyObject): string {
  return createSign('RSA-SHA256').update(content, 'utf8').sign(privateKey, 'base64');
}

export function verifyRsa2(content: string, signature: string, publicKey: KeyObject): boolean {
  if (!signature) return false;
  try {
    return createVerify('RSA-SHA256').update(content, 'utf8').verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}
