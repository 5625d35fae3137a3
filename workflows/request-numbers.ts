// Request numbers for Alipay, derived from the packet's lifecycle and the claim so that a retry, a
// replay or a continued run always sends the same ones (and so can never pay twice).
//
// Once a finished packet's history is past retention a second lifecycle may start for its
// auth_no, and it must never meet the first one's operations under its own numbers:
// - A lifecycle's request tag (six characters drawn by its starter, adopted at its first run
//   behind a patch marker and carried in the continued state) is in its refund's number and in
//   every payout's but the first.
// - The first payout's number is the packet's own, RP<auth_no>D1, in every lifecycle: it is the
//   mark by which a later lifecycle finds this auth_no spent before it opens (verify-funding.ts),
//   so a lifecycle that sends it has found it unused.
// Packets started before the tag existed have none: all their numbers are RP... .
// Injective for a given lifecycle (no hashing of the parts): auth_no is at most 48 letters or
// digits, so the longest number, RL + 6 + 48 + D + 5 digits, fits Alipay's 64.
import { sha256 } from '@noble/hashes/sha2';
import { utf8ToBytes } from '@noble/hashes/utils';

export const MAX_AUTH_NO_LENGTH = 48;
export const REQUEST_TAG = /^[0-9A-Z]{6}$/;
const TAG_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A request tag from an id unique to the lifecycle's start (a random UUID, a run id). */
export function requestTagFor(uniqueId: string): string {
  const digest = sha256(utf8ToBytes(uniqueId));
  let tag = '';
  for (let i = 0; i < 6; i++) tag += TAG_ALPHABET[digest[i]! % TAG_ALPHABET.length];
  return tag;
}

function prefix(authNo: string, requestTag: string | undefined): string {
  return requestTag === undefined ? `RP${authNo}` : `RL${requestTag}${authNo}`;
}

export function disburseRequestNumbers(
  authNo: string,
  claimSeq: number,
  requestTag?: string,
): { outOrderNo: string; outRequestNo: string } {
  const number = `${prefix(authNo, claimSeq === 1 ? undefined : requestTag)}D${claimSeq}`;
  return { outOrderNo: number, outRequestNo: number };
}

/** The number a packet's first payout has in every lifecycle: spent if Alipay knows it. */
export function firstPayoutNumbers(authNo: string): { outOrderNo: string; outRequestNo: string } {
  return disburseRequestNumbers(authNo, 1);
}

export function refundRequestNo(authNo: string, requestTag?: string): string {
  return `${prefix(authNo, requestTag)}R`;
}

/** The auth_no a request number of ours was derived from, or undefined if it is not ours. */
export function authNoFromRequestNo(requestNo: string): string | undefined {
  const match = /^RL[0-9A-Z]{6}(.+?)(?:R|D\d+)$/.exec(requestNo) ?? /^RP(.+?)(?:R|D\d+)$/.exec(requestNo);
  return match?.[1];
}
