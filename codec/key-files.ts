// Payload keys come from files: PAYLOAD_KEYS_DIR holds `<key id>.key` files (32 random bytes,
// base64), PAYLOAD_KEY_ID names the one new payloads use. Unset: payloads are not encrypted.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { optional, type Env } from '../config/env';
import { ConfigError } from '../config/errors';
import { AesGcmCodec, type CodecKeys } from './aes-gcm-codec';

const KEY_FILE = /^([A-Za-z0-9_-]{1,64})\.key$/;

export function readCodecKeys(env: Env = process.env): CodecKeys | undefined {
  const dir = optional(env, 'PAYLOAD_KEYS_DIR');
  const currentKeyId = optional(env, 'PAYLOAD_KEY_ID');
  if (!dir && !currentKeyId) return undefined;
  if (!dir) throw new ConfigError('PAYLOAD_KEYS_DIR', 'required when PAYLOAD_KEY_ID is set');
  if (!currentKeyId) throw new ConfigError('PAYLOAD_KEY_ID', 'required when PAYLOAD_KEYS_DIR is set');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new ConfigError('PAYLOAD_KEYS_DIR', `cannot read the directory ${dir}`);
  }
  const keys = new Map<string, Buffer>();
  for (const name of names) {
    const id = KEY_FILE.exec(name)?.[1];
    if (!id) continue;
    const key = Buffer.from(readFileSync(join(dir, name), 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new ConfigError('PAYLOAD_KEYS_DIR', `${name} must hold 32 bytes in base64`);
    keys.set(id, key);
  }
  if (!keys.has(currentKeyId)) throw new ConfigError('PAYLOAD_KEY_ID', `no ${currentKeyId}.key in ${dir}`);
  return { currentKeyId, keys };
}

/** The codec for the configured keys, or undefined when payload encryption is off. */
export function payloadCodecFromEnv(env: Env = process.env): AesGcmCodec | undefined {
  const keys = readCodecKeys(env);
  return keys ? new AesGcmCodec(keys) : undefined;
}
