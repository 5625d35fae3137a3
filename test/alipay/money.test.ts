import { describe, expect, it } from 'vitest';
import { formatFen, parseAmount } from '../../alipay/money';

describe('money', () => {
  it.each([
    ['0.01', 1],
    ['12.34', 1234],
    ['12.3', 1230],
    ['12', 1200],
    ['0', 0],
    ['100000000.00', 10_000_000_000],
    ['99999999.99', 9_999_999_999],
  ])('parses %s as %d fen', (text, fen) => {
    expect(parseAmount(text)).toBe(fen);
  });

  it.each([
    '0.001',
    '1.234',
    '-1.00',
    '+1.00',
    '1e2',
    '1E2',
    '01.00',
    ' 1.00',
    '1.00 ',
    '',
    '.5',
    '1.',
    '100000000.01',
    'NaN',
    '0x10',
    '1,00',
  ])('rejects %j', (text) => {
    expect(() => parseAmount(text)).toThrow();
  });

  it.each([
    [1, '0.01'],
    [10, '0.10'],
    [1234, '12.34'],
    [0, '0.00'],
    [10_000_000_000, '100000000.00'],
  ])('formats %d fen as %s', (fen, text) => {
    expect(formatFen(fen)).toBe(text);
  });

  it('round-trips every cent value exactly (no float path)', () => {
    for (let fen = 0; fen < 20_000; fen += 7) expect(parseAmount(formatFen(fen))).toBe(fen);
    expect(parseAmount(formatFen(9_999_999_999))).toBe(9_999_999_999);
  });

  it.each([1.5, -1, Number.NaN, 2 ** 60])('refuses to format %d', (fen) => {
    expect(() => formatFen(fen)).toThrow();
  });
});
