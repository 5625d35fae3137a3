import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { canonicalLogonId } from '../../workflows/claim-index';
import { Ledger, MAX_CLAIM_RECORDS } from '../../workflows/ledger';
import { MAX_CLAIMS } from '../../workflows/messages';
import { claimAmount } from '../../workflows/split';
import {
  authNoFromRequestNo,
  disburseRequestNumbers,
  firstPayoutNumbers,
  refundRequestNo,
  REQUEST_TAG,
  requestTagFor,
} from '../../workflows/request-numbers';

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const payee = { payeeUserId: '2088000000000002' };
const payeeNo = (i: number) => ({ payeeUserId: `2088${String(i).padStart(12, '0')}` });

function claimAll(ledger: Ledger, count: number, random: () => number): number[] {
  const amounts: number[] = [];
  for (let i = 0; i < count; i++) {
    const request = { claimId: `c${i}`, ...payeeNo(i) };
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
    expect(ledger.refusalFor({ claimId: 'late', ...payeeNo(99) })).toBe('SHARES_EXHAUSTED');
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
        const amount = ledger.accept({ claimId: `c${i}`, ...payeeNo(i) }, random).amountFen;
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
    expect(ledger.refusalFor({ claimId: 'b', ...payeeNo(5), amountFen: 2 })).toBe('AMOUNT_OUT_OF_RANGE');
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
    ledger.accept({ claimId: 'a', ...payeeNo(1) }, Math.random);
    ledger.accept({ claimId: 'b', ...payeeNo(2) }, Math.random);
    expect(ledger.exhausted).toBe(true);
    const first = ledger.nextToPay()!;
    const second = ledger.nextToPay()!;
    ledger.markFailed(first, 'refused');
    expect(ledger.remainingFen).toBe(500);
    expect(ledger.exhausted).toBe(false);
    ledger.markPaid(second, 'op-1');
    expect(ledger.paidFen).toBe(500);
    // The released share can be claimed again, and takes the rest as the last share.
    expect(ledger.accept({ claimId: 'c', ...payeeNo(3) }, Math.random).amountFen).toBe(500);
    expect(ledger.repeatOutcome({ claimId: 'a', ...payeeNo(1) })).toMatchObject({
      accepted: true,
      status: 'FAILED',
      amountFen: 500,
    });
  });

  it('takes one claim per payee, by user id or by logon id, failed or not', () => {
    const ledger = Ledger.empty(1000, 'claimant');
    ledger.accept({ claimId: 'a', ...payeeNo(1), amountFen: 10 }, Math.random);
    ledger.accept({ claimId: 'b', payeeLogonId: 'someone@example.com', amountFen: 10 }, Math.random);
    expect(ledger.refusalFor({ claimId: 'c', ...payeeNo(1), amountFen: 10 })).toBe('PAYEE_ALREADY_CLAIMED');
    expect(ledger.refusalFor({ claimId: 'c', payeeLogonId: 'someone@example.com', amountFen: 1 })).toBe(
      'PAYEE_ALREADY_CLAIMED',
    );
    ledger.markFailed(ledger.nextToPay()!, 'refused');
    expect(ledger.refusalFor({ claimId: 'c', ...payeeNo(1), amountFen: 10 })).toBe('PAYEE_ALREADY_CLAIMED');
    expect(ledger.refusalFor({ claimId: 'c', ...payeeNo(2), amountFen: 10 })).toBeUndefined();
  });

  it('knows a payee by logon id whatever its case, spacing or +86 prefix', () => {
    expect(canonicalLogonId(' Alice@Example.COM ')).toBe('alice@example.com');
    expect(canonicalLogonId('+86 138-0013-8000')).toBe('13800138000');
    expect(canonicalLogonId('138 0013 8000')).toBe('13800138000');
    const ledger = Ledger.empty(1000, 'claimant');
    ledger.accept({ claimId: 'a', payeeLogonId: 'alice@example.com', amountFen: 1 }, Math.random);
    ledger.accept({ claimId: 'b', payeeLogonId: '13800138000', amountFen: 1 }, Math.random);
    for (const payeeLogonId of [
      'Alice@Example.com',
      ' alice@example.com',
      '+86 138 0013 8000',
      '8613800138000',
    ])
      expect(ledger.refusalFor({ claimId: 'c', payeeLogonId, amountFen: 1 }), payeeLogonId).toBe(
        'PAYEE_ALREADY_CLAIMED',
      );
    expect(
      ledger.refusalFor({ claimId: 'c', payeeLogonId: 'bob@example.com', amountFen: 1 }),
    ).toBeUndefined();
  });

  it('keeps a failure to 200 UTF-8 bytes, whole characters only', () => {
    const ledger = Ledger.empty(1000, 'claimant');
    ledger.accept({ claimId: 'a', ...payeeNo(1), amountFen: 1 }, Math.random);
    const claim = ledger.nextToPay()!;
    ledger.markFailed(claim, '拒'.repeat(300));
    expect(Buffer.byteLength(claim.failure!)).toBeLessThanOrEqual(200);
    expect(claim.failure).toBe('拒'.repeat(66));
  });

  it('failed claims free their share; only MAX_CLAIM_RECORDS claims in all close a packet', () => {
    const ledger = Ledger.empty(100_000, 'claimant', 10);
    for (let i = 0; i < 10; i++)
      ledger.accept({ claimId: `f${i}`, ...payeeNo(i), amountFen: 1 }, Math.random);
    expect(ledger.exhausted).toBe(true);
    for (let i = 0; i < 10; i++) ledger.markFailed(ledger.nextToPay()!, 'refused');
    expect(ledger.exhausted).toBe(false);
    expect(ledger.refusalFor({ claimId: 'new', ...payeeNo(100), amountFen: 1 })).toBeUndefined();
    const unlimited = Ledger.empty(1_000_000, 'claimant');
    // Active claims stay one short of MAX_CLAIMS: every claim from there on fails.
    for (let i = 0; i < MAX_CLAIM_RECORDS; i++) {
      expect(unlimited.exhausted).toBe(false);
      unlimited.accept({ claimId: `u${i}`, ...payeeNo(i), amountFen: 1 }, Math.random);
      if (i >= MAX_CLAIMS - 1) unlimited.markFailed(unlimited.nextToPay()!, 'refused');
    }
    expect(unlimited.claimCount - unlimited.failedCount).toBe(MAX_CLAIMS - 1);
    expect(unlimited.exhausted).toBe(true);
  });

  it('answers a repeated claimId with its first result, or CLAIM_ID_CONFLICT when payee or amount differ', () => {
    const ledger = Ledger.empty(1000, 'claimant');
    ledger.accept({ claimId: 'a', ...payeeNo(1), amountFen: 10 }, Math.random);
    const check = () => {
      expect(ledger.repeatOutcome({ claimId: 'a', ...payeeNo(1), amountFen: 10 })).toMatchObject({
        accepted: true,
        amountFen: 10,
      });
      expect(ledger.repeatOutcome({ claimId: 'a', ...payeeNo(2), amountFen: 10 })).toMatchObject({
        accepted: false,
        reason: 'CLAIM_ID_CONFLICT',
      });
      expect(ledger.repeatOutcome({ claimId: 'a', ...payeeNo(1), amountFen: 11 })).toMatchObject({
        accepted: false,
        reason: 'CLAIM_ID_CONFLICT',
      });
      expect(ledger.repeatOutcome({ claimId: 'b', ...payeeNo(1), amountFen: 10 })).toBeUndefined();
    };
    check(); // held in full
    ledger.markPaid(ledger.nextToPay()!, 'op');
    ledger.takeSettled(10);
    check(); // archived: answered from the index
    expect(ledger.repeatOutcome({ claimId: 'a', ...payeeNo(1), amountFen: 10 })).toMatchObject({
      status: 'PAID',
    });
  });

  it('survives a snapshot round trip (continue-as-new) with unsettled claims carried, not dropped', () => {
    const ledger = Ledger.empty(900, 'fixed', 3);
    ledger.accept({ claimId: 'a', ...payeeNo(1) }, Math.random);
    ledger.accept({ claimId: 'b', payeeLogonId: 'b@example.com' }, Math.random);
    ledger.markPaid(ledger.nextToPay()!, 'op');
    ledger.nextToPay(); // b in flight
    expect(() => ledger.snapshot()).toThrow(/archive/);
    expect(ledger.takeSettled(1000).map((claim) => claim.claimId)).toEqual(['a']);
    const copy = Ledger.restore(JSON.parse(JSON.stringify(ledger.snapshot())));
    expect(copy.paidFen).toBe(300);
    expect(copy.committedFen).toBe(600);
    expect(copy.unsettled).toBe(1);
    expect(copy.nextToPay()).toMatchObject({ claimId: 'b', seq: 2, payeeLogonId: 'b@example.com' });
    expect(copy.refusalFor({ claimId: 'c', ...payeeNo(1) })).toBe('PAYEE_ALREADY_CLAIMED');
    expect(copy.accept({ claimId: 'c', ...payeeNo(3) }, Math.random).seq).toBe(3);
    expect(copy.remainingFen).toBe(0);
  });

  it('carries a 10,000-claim packet with maximum-length ids in under 512 KiB, exactly', () => {
    const ledger = Ledger.empty(20_000_000, 'claimant');
    const id = (i: number) => `${String(i).padStart(5, '0')}`.padEnd(64, 'x');
    const logon = (i: number) => `${String(i).padStart(5, '0')}`.padEnd(100, 'y');
    for (let i = 0; i < 10_000; i++)
      ledger.accept({ claimId: id(i), payeeLogonId: logon(i), amountFen: 1000 + (i % 7) }, Math.random);
    expect(ledger.exhausted).toBe(true); // MAX_CLAIMS, whatever the split
    // All but the last 1,000 settled (about what the carried-state budget lets a packet hold
    // unpaid with such ids), every seventh failed.
    for (let i = 0; i < 9000; i++) {
      const claim = ledger.nextToPay()!;
      if (i % 7 === 0) ledger.markFailed(claim, 'x'.repeat(500));
      else ledger.markPaid(claim, `op${i}`);
      if (ledger.recentlySettled === 1000) ledger.takeSettled(1000);
    }
    const snapshot = ledger.snapshot();
    const bytes = Buffer.byteLength(JSON.stringify(snapshot));
    expect(bytes).toBeLessThan(512 * 1024);
    // The ledger's own account of what it would carry, which the claim validator budgets, is exact.
    const carried = snapshot.settled.length + Buffer.byteLength(JSON.stringify(snapshot.unsettled));
    expect(Math.abs(ledger.carriedBytes - carried)).toBeLessThanOrEqual(1);
    const copy = Ledger.restore(JSON.parse(JSON.stringify(ledger.snapshot())));
    expect([copy.committedFen, copy.paidFen, copy.claimCount, copy.failedCount, copy.unsettled]).toEqual([
      ledger.committedFen,
      ledger.paidFen,
      10_000,
      ledger.failedCount,
      1000,
    ]);
    for (const i of [0, 1, 4999, 8999, 9000, 9999]) {
      const amountFen = 1000 + (i % 7);
      const expected = i >= 9000 ? 'PENDING' : i % 7 === 0 ? 'FAILED' : 'PAID';
      expect(copy.repeatOutcome({ claimId: id(i), payeeLogonId: logon(i), amountFen })).toMatchObject({
        accepted: true,
        status: expected,
        amountFen,
      });
      expect(copy.refusalFor({ claimId: 'new', payeeLogonId: logon(i), amountFen: 1 })).toBe(
        'PAYEE_ALREADY_CLAIMED',
      );
    }
  });
});

describe('request numbers', () => {
  it('are deterministic, distinct per claim, within 64 characters and traceable to the packet', () => {
    const authNo = '2'.repeat(48);
    for (const tag of [undefined, requestTagFor('a lifecycle')]) {
      const numbers = new Set([refundRequestNo(authNo, tag)]);
      for (let seq = 1; seq <= 1000; seq++)
        numbers.add(disburseRequestNumbers(authNo, seq, tag).outRequestNo);
      expect(numbers.size).toBe(1001);
      expect(disburseRequestNumbers(authNo, MAX_CLAIM_RECORDS, tag).outOrderNo.length).toBeLessThanOrEqual(
        64,
      );
      expect(disburseRequestNumbers(authNo, 3, tag)).toEqual(disburseRequestNumbers(authNo, 3, tag));
      expect(authNoFromRequestNo(refundRequestNo('2026112510002001', tag))).toBe('2026112510002001');
      expect(authNoFromRequestNo(disburseRequestNumbers('2026112510002001', 12, tag).outRequestNo)).toBe(
        '2026112510002001',
      );
    }
    expect(authNoFromRequestNo('SOMEONE-ELSES')).toBeUndefined();
  });

  it('differ between two lifecycles of one auth_no except the first payout, the mark a later lifecycle looks for', () => {
    const authNo = '2026112510002001';
    const [one, two] = [requestTagFor(randomUUID()), requestTagFor(randomUUID())];
    expect(one).toMatch(REQUEST_TAG);
    expect(two).not.toBe(one);
    expect(refundRequestNo(authNo, one)).not.toBe(refundRequestNo(authNo, two));
    expect(refundRequestNo(authNo, one)).not.toBe(refundRequestNo(authNo));
    for (let seq = 2; seq <= 100; seq++)
      expect(disburseRequestNumbers(authNo, seq, one)).not.toEqual(disburseRequestNumbers(authNo, seq, two));
    expect(disburseRequestNumbers(authNo, 1, one)).toEqual(firstPayoutNumbers(authNo));
    expect(disburseRequestNumbers(authNo, 1, two)).toEqual(firstPayoutNumbers(authNo));
  });
});
