// Money is integer fen inside; two-decimal yuan strings exist only at the boundaries.

/** An amount in fen (1/100 yuan): a non-negative safe integer. */
export type Fen = number;

/** Alipay's upper bound for a single amount: 100000000.00 yuan. */
export const MAX_AMOUNT_FEN: Fen = 10_000_000_000;

export class AmountError extends Error {
  override name = 'AmountError';
}

const AMOUNT_PATTERN = /^(0|[1-9]\d{0,8})(?:\.(\d{1,2}))?$/;

/**
 * Parses a yuan amount such as "12.34", "12.3" or "12" into fen without any float arithmetic.
 * Rejects signs, exponents, a third decimal, leading zeros, whitespace and amounts over the limit.
 */
export function parseAmount(text: string): Fen {
  const match = AMOUNT_PATTERN.exec(text);
  if (!match) throw new AmountError(`not a yuan amount with at most two decimals: ${JSON.stringify(text)}`);
  const yuan = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(2, '0'));
  const fen = yuan * 100 + fraction;
  if (fen > MAX_AMOUNT_FEN) throw new AmountError(`amount ${text} is over 100000000.00`);
  return fen;
}

export function isFen(value: unknown): value is Fen {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Formats fen as the two-decimal string Alipay expects: 1234 -> "12.34", 5 -> "0.05". */
export function formatFen(fen: Fen): string {
  if (!isFen(fen)) throw new AmountError(`not an amount in fen: ${String(fen)}`);
  const yuan = Math.floor(fen / 100);
  const cents = fen % 100;
  return `${yuan}.${cents < 10 ? '0' : ''}${cents}`;
}
