// Request numbers for Alipay, derived from the packet and the claim so that a retry, a replay or
// a continued run always sends the same ones (and so can never pay twice). Injective by
// construction (no hashing): auth_no is at most 48 characters, so they fit Alipay's 64.

export const MAX_AUTH_NO_LENGTH = 48;

export function disburseRequestNumbers(
  authNo: string,
  claimSeq: number,
): { outOrderNo: string; outRequestNo: string } {
  const number = `RP${authNo}D${claimSeq}`;
  return { outOrderNo: number, outRequestNo: number };
}

export function refundRequestNo(authNo: string): string {
  return `RP${authNo}R`;
}

/** The auth_no a request number of ours was derived from, or undefined if it is not ours. */
export function authNoFromRequestNo(requestNo: string): string | undefined {
  const match = /^RP(.+?)(?:R|D\d+)$/.exec(requestNo);
  return match?.[1];
}
