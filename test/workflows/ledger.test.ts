import { describe, expect, it } from 'vitest';
import { Ledger } from '../../workflows/ledger';
import { claimAmount } from '../../workflows/split';
import {
  authNoFromRequestNo,
  disburseRequestNumbers,
  refundRequestNo,
} from '../../workflows/request-numbers';

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const payee = { payeeUserId: '2088000000000002' };

function claimAll(ledger: Ledger, count: number, random: () => number): number[] {
  const amounts: number[] = [];
  for (let i = 0; i < count; i++) {
    const request = { claimId: `c${i}`, ...payee };
    expect(ledger.refusalFor(request)).toBeUndefined();
    amounts.push(ledger.accept(request, random).amountFen);
  }
  return amounts;
}

describe('split modes', () => {
  it('fixed: equal shares, the remainder fen to the last', () => {
    const ledger = Ledger.empty(1000, 'fixed', 3);
    expect(claimAll(ledger, 3, Math.random)).toEqual([333, 333, 334]);
    expect(ledger.remainingFen).toBe(0);
    expect(ledger.refusalFor({ claimId: 'late', ...payee })).toBe('SHARES_EXHAUSTED');
  });

  it('random: every amount at least 1 fen, within the double mean, summing exactly', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = seeded(seed);
      const shares = 1 + (seed % 50);
      const total = shares + Math.floor(random() * 20_000);
      const ledger = Ledger.empty(total, 'random', shares);
      let remaining = total;
      for (let i = 0; i < shares; i++) {
        const left = shares - i;
        const amount = ledger.accept({ claimId: `c${i}`, ...payee }, random).amountFen;
        expect(amount).toBeGreaterThanOrEqual(1);
        if (left > 1) expect(amount).toBeLessThanOrEqual(Math.floor((2 * remaining) / left));
        remaining -= amount;
        expect(remaining).toBeGreaterThanOrEqual(left - 1);
      }
      expect(remaining).toBe(0);
      expect(ledger.committedFen).toBe(total);
    }
  });

  it('random: the same seed gives the same amounts (deterministic replay)', () => {
    const run = () => claimAll(Ledger.empty(10_000, 'random', 10), 10, seeded(7));
    expect(run()).toEqual(run());
  });

  it('random: 1 fen per share when the total allows nothing more', () => {
    expect(claimAll(Ledger.empty(5, 'random', 5), 5, () => 0.999)).toEqual([1, 1, 1, 1, 1]);
  });

  it('claimant: the amount asked for, within the remainder', () => {
    const ledger = Ledger.empty(1000, 'claimant');
    expect(ledger.refusalFor({ claimId: 'a', ...payee })).toBe('AMOUNT_REQUIRED');
    expect(ledger.refusalFor({ claimId: 'a', ...payee, amountFen: 0 })).toBe('AMOUNT_OUT_OF_RANGE');
    expect(ledger.refusalFor({ claimId: 'a', ...payee, amountFen: -5 })).toBe('AMOUNT_OUT_OF_RANGE');
    expect(ledger.refusalFor({ claimId: 'a', ...payee, amountFen: 1.5 })).toBe('AMOUNT_OUT_OF_RANGE');
    expect(ledger.refusalFor({ claimId: 'a', ...payee, amountFen: 1001 })).toBe('AMOUNT_OUT_OF_RANGE');
    expect(ledger.accept({ claimId: 'a', ...payee, amountFen: 999 }, Math.random).amountFen).toBe(999);
    expect(ledger.refusalFor({ claimId: 'b', ...payee, amountFen: 2 })).toBe('AMOUNT_OUT_OF_RANGE');
    expect(
      claimAmount({
        split: 'claimant',
        totalFen: 1,
        remainingFen: 1,
        sharesLeft: undefined,
        shares: undefined,
        requestedFen: 1,
        random: Math.random,
      }),
    ).toBe(1);
  });

  it('refuses an amount in fixed and random modes, and claims without a payee or id', () => {
    const ledger = Ledger.empty(1000, 'fixed', 2);
    expect(ledger.refusalFor({ claimId: 'a', ...payee, amountFen: 10 })).toBe('AMOUNT_NOT_ALLOWED');
    expect(ledger.refusalFor({ claimId: 'a' })).toBe('PAYEE_REQUIRED');
    expect(ledger.refusalFor({ claimId: '', ...payee })).toBe('INVALID_CLAIM_ID');
    expect(ledger.refusalFor({ claimId: 'x'.repeat(65), ...payee })).toBe('INVALID_CLAIM_ID');
  });
});

describe('ledger', () => {
  it('reserves at once and releases a failed claim', () => {
    const ledger = Ledger.empty(1000, 'fixed', 2);
    const first = ledger.accept({ claimId: 'a', ...payee }, Math.random);
    const second = ledger.accept({ claimId: 'b', ...payee }, Math.random);
    expect(ledger.exhausted).toBe(true);
    ledger.markDisbursing(first);
    ledger.markFailed(first, 'refused');
    expect(ledger.remainingFen).toBe(500);
    expect(ledger.exhausted).toBe(false);
    ledger.markPaid(second, 'op-1');
    expect(ledger.paidFen).toBe(500);
    // The released share can be claimed again, and takes the rest as the last share.
    expect(ledger.accept({ claimId: 'c', ...payee }, Math.random).amountFen).toBe(500);
    expect(ledger.outcome(first)).toMatchObject({ status: 'FAILED', amountFen: 500 });
  });

  it('survives a snapshot round trip (continue-as-new)', () => {
    const ledger = Ledger.empty(900, 'fixed', 3);
    const claim = ledger.accept({ claimId: 'a', ...payee }, Math.random);
    ledger.markPaid(claim, 'op');
    const copy = new Ledger(JSON.parse(JSON.stringify(ledger.snapshot())));
    expect(copy.find('a')).toMatchObject({ phase: 'PAID', amountFen: 300 });
    expect(copy.accept({ claimId: 'b', ...payee }, Math.random).seq).toBe(2);
    expect(copy.remainingFen).toBe(300);
  });
});

describe('request numbers', () => {
  it('are deterministic, distinct per claim, within 64 characters and traceable to the packet', () => {
    const authNo = '2'.repeat(48);
    const numbers = new Set([refundRequestNo(authNo)]);
    for (let seq = 1; seq <= 1000; seq++) numbers.add(disburseRequestNumbers(authNo, seq).outRequestNo);
    expect(numbers.size).toBe(1001);
    expect(disburseRequestNumbers(authNo, 999_999_999).outOrderNo.length).toBeLessThanOrEqual(64);
    expect(disburseRequestNumbers(authNo, 3)).toEqual(disburseRequestNumbers(authNo, 3));
    expect(authNoFromRequestNo(refundRequestNo('2026112510002001'))).toBe('2026112510002001');
    expect(authNoFromRequestNo(disburseRequestNumbers('2026112510002001', 12).outRequestNo)).toBe(
      '2026112510002001',
    );
    expect(authNoFromRequestNo('SOMEONE-ELSES')).toBeUndefined();
  });
});
