// Who has claimed a packet and with which claimId, small enough for continue-as-new to carry
// 10,000 claims: each settled claim is 21 bytes (64-bit SHA-256 prefixes of its claimId and of
// its payee, its amount and whether it was paid), packed into one base64 string. A prefix match
// is taken as the same id: with 64 bits and at most 10,000 claims per packet a false match is
// about 1 in 10^11 per packet, and it can only refuse a claim, never pay one: a new claim whose
// digest matches another claim's is refused (ledger.ts), so the index never holds two claims
// under one digest.
import { sha256 } from '@noble/hashes/sha2';
import { utf8ToBytes } from '@noble/hashes/utils';
import type { ClaimRequest } from './messages';

/** 16 hex digits: the first 8 bytes of SHA-256. */
export type Digest = string;

export interface SettledEntry {
  claimDigest: Digest;
  payeeDigest: Digest;
  amountFen: number;
  paid: boolean;
}

const DIGEST_BYTES = 8;
const AMOUNT_BYTES = 5;
const ENTRY_BYTES = 2 * DIGEST_BYTES + AMOUNT_BYTES;

/** Recent digests: a claim's validator, handler and answers ask for the same ones. */
const recentDigests = new Map<string, Digest>();
const RECENT_DIGESTS_KEPT = 4096;

function digest(kind: string, text: string): Digest {
  const key = `${kind}\u0000${text}`;
  const known = recentDigests.get(key);
  if (known !== undefined) return known;
  const bytes = sha256(utf8ToBytes(key)).subarray(0, DIGEST_BYTES);
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  if (recentDigests.size >= RECENT_DIGESTS_KEPT) recentDigests.clear();
  recentDigests.set(key, hex);
  return hex;
}

export function claimDigest(claimId: string): Digest {
  return digest('claim', claimId);
}

/**
 * A logon id as Alipay matches it: an email whatever its case, a phone number whatever its
 * spacing, dashes or +86 prefix. (A user id and a logon id of one account cannot be matched.)
 */
export function canonicalLogonId(logonId: string): string {
  const trimmed = logonId.trim().toLowerCase();
  if (!/^[+\d][\d\s-]*$/.test(trimmed)) return trimmed;
  const digits = trimmed.replace(/\D/g, '');
  return digits.length === 13 && digits.startsWith('86') ? digits.slice(2) : digits;
}

/** The account a claim pays: its user id when it names one, its logon id otherwise. */
export function payeeDigest(request: Pick<ClaimRequest, 'payeeUserId' | 'payeeLogonId'>): Digest {
  return request.payeeUserId !== undefined
    ? digest('user', request.payeeUserId)
    : digest('logon', canonicalLogonId(request.payeeLogonId ?? ''));
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// The workflow sandbox has no Buffer: a plain base64 codec for whole 3-byte groups and the tail.
function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 4) / 3));
    for (let c = 0; c < 4; c++) text += c < chars ? BASE64[(chunk >> (18 - 6 * c)) & 63] : '=';
  }
  return text;
}

function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let out = 0;
  for (const char of clean) {
    const index = BASE64.indexOf(char);
    if (index < 0) throw new Error('claim index: not base64');
    value = (value << 6) | index;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[out++] = (value >> bits) & 0xff;
    }
  }
  return bytes;
}

function writeHex(target: Uint8Array, offset: number, hex: Digest): void {
  for (let i = 0; i < DIGEST_BYTES; i++) target[offset + i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
}

function readHex(source: Uint8Array, offset: number): Digest {
  return Array.from(source.subarray(offset, offset + DIGEST_BYTES), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
}

export function packEntries(entries: readonly SettledEntry[]): string {
  const bytes = new Uint8Array(entries.length * ENTRY_BYTES);
  entries.forEach((entry, index) => {
    const offset = index * ENTRY_BYTES;
    writeHex(bytes, offset, entry.claimDigest);
    writeHex(bytes, offset + DIGEST_BYTES, entry.payeeDigest);
    // Amounts are below 2^34 fen: the amount times two plus the paid bit fits 40 bits.
    let field = entry.amountFen * 2 + (entry.paid ? 1 : 0);
    for (let i = AMOUNT_BYTES - 1; i >= 0; i--) {
      bytes[offset + 2 * DIGEST_BYTES + i] = field % 256;
      field = Math.floor(field / 256);
    }
  });
  return toBase64(bytes);
}

export function unpackEntries(packed: string): SettledEntry[] {
  const bytes = fromBase64(packed);
  if (bytes.length % ENTRY_BYTES !== 0) throw new Error('claim index: truncated');
  const entries: SettledEntry[] = [];
  for (let offset = 0; offset < bytes.length; offset += ENTRY_BYTES) {
    let field = 0;
    for (let i = 0; i < AMOUNT_BYTES; i++) field = field * 256 + bytes[offset + 2 * DIGEST_BYTES + i]!;
    entries.push({
      claimDigest: readHex(bytes, offset),
      payeeDigest: readHex(bytes, offset + DIGEST_BYTES),
      amountFen: Math.floor(field / 2),
      paid: field % 2 === 1,
    });
  }
  return entries;
}
