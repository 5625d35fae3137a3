// Encrypts every Temporal payload with AES-256-GCM, so payer and payee ids never sit in
// plaintext in workflow histories. Each payload names its key id: keys can rotate and payloads
// written under an old key still decode while that key is kept.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCODING = 'binary/encrypted';
const ENCODING_KEY = 'encoding';
const KEY_ID_KEY = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface CodecKeys {
  /** The key new payloads are encrypted with. */
  currentKeyId: string;
  /** Every key that may still be needed to decode, the current one included (32 bytes each). */
  keys: ReadonlyMap<string, Buffer>;
}

export class CodecKeyError extends Error {
  override name = 'CodecKeyError';
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined): string =>
  new TextDecoder().decode(bytes ?? new Uint8Array());

export class AesGcmCodec implements PayloadCodec {
  private readonly current: Buffer;

  constructor(private readonly codecKeys: CodecKeys) {
    const current = codecKeys.keys.get(codecKeys.currentKeyId);
    if (!current) throw new CodecKeyError(`no key ${codecKeys.currentKeyId} among the payload keys`);
    for (const [id, key] of codecKeys.keys) {
      if (key.length !== 32)
        throw new CodecKeyError(`payload key ${id} is ${key.length} bytes; AES-256 needs 32`);
    }
    this.current = current;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [ENCODING_KEY]: utf8(ENCODING), [KEY_ID_KEY]: utf8(this.codecKeys.currentKeyId) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[ENCODING_KEY]) !== ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_KEY]);
      const key = this.codecKeys.keys.get(keyId);
      if (!key) throw new CodecKeyError(`payload encrypted with key ${keyId}, which is not configured`);
      const sealed = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
