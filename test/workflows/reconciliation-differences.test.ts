// One day's reconciliation: a clean day has no difference and every operation matched; each kind
// of drift is reported once, with the packet, the request number and both figures, and nothing
// else is reported.
import { describe, expect, it } from 'vitest';
import {
  reconcileDay,
  type BillLineView,
  type BookedPacket,
  type QueriedOperation,
  type ReconciliationInput,
} from '../../workflows/reconciliation-differences';

const DAY = '2026-11-25';

/** The input with its answers open to change: each test changes one thing. */
type DayInput = ReconciliationInput & { queried: Record<string, QueriedOperation> };

/** Packet A: paid in 10.00 today, 3.00 paid out, a 2.00 payout released, 7.00 refunded today. */
function cleanDay(): DayInput {
  const settled: BookedPacket = {
    authNo: 'A',
    totalFen: 1000,
    settled: true,
    operations: [
      { type: 'PAY', outRequestNo: 'AP', amountFen: 1000, status: 'SUCCESS' },
      { type: 'DISBURSE', outRequestNo: 'AD1', amountFen: 300, status: 'SUCCESS' },
      { type: 'DISBURSE', outRequestNo: 'AD2', amountFen: 200, status: 'FAILED' },
      { type: 'REFUND', outRequestNo: 'AR', amountFen: 700, status: 'SUCCESS' },
    ],
  };
  // Packet B: paid in yesterday (on yesterday's bill), still open, one payout today.
  const open: BookedPacket = {
    authNo: 'B',
    totalFen: 500,
    settled: false,
    operations: [
      { type: 'PAY', outRequestNo: 'BP', amountFen: 500, status: 'SUCCESS' },
      { type: 'DISBURSE', outRequestNo: 'BD1', amountFen: 100, status: 'SUCCESS' },
    ],
  };
  const queried: Record<string, QueriedOperation> = {
    AP: { found: true, operationId: 'opAP', amountFen: 1000, status: 'SUCCESS', day: DAY },
    AD1: { found: true, operationId: 'opAD1', amountFen: 300, status: 'SUCCESS', day: DAY },
    AD2: { found: false },
    AR: { found: true, operationId: 'opAR', amountFen: 700, status: 'SUCCESS', day: DAY },
    BP: { found: true, operationId: 'opBP', amountFen: 500, status: 'SUCCESS', day: '2026-11-24' },
    BD1: { found: true, operationId: 'opBD1', amountFen: 100, status: 'SUCCESS', day: DAY },
  };
  const bill: BillLineView[] = [
    { businessSerial: 'opAP', merchantOrderNo: 'AP', incomeFen: 0, expenseFen: 1000 },
    { businessSerial: 'opAR', merchantOrderNo: 'AR', incomeFen: 700, expenseFen: 0 },
  ];
  return { day: DAY, packets: [settled, open], queried, bill };
}

function only(input: ReconciliationInput) {
  const report = reconcileDay(input);
  expect(report.differences).toHaveLength(1);
  expect(Object.values(report.differencesByKind).reduce((sum, count) => sum + count, 0)).toBe(1);
  return report.differences[0]!;
}

describe('reconciling one day', () => {
  it('a clean day: no difference, every operation confirmed by query and every bill line matched', () => {
    const report = reconcileDay(cleanDay());
    expect(report.differences).toEqual([]);
    // 6 operations by query (the released payout found nowhere counts as confirmed) + 2 bill lines
    expect(report).toMatchObject({ day: DAY, packetsChecked: 2, operationsMatched: 8 });
    // disbursed + refunded == total for the settled packet
    const settled = cleanDay().packets[0]!;
    const movedOut = settled.operations
      .filter((operation) => operation.status === 'SUCCESS' && operation.type !== 'PAY')
      .reduce((sum, operation) => sum + operation.amountFen, 0);
    expect(movedOut).toBe(settled.totalFen);
  });

  it('a bill line none of our packets booked: UNKNOWN_TO_US with its numbers', () => {
    const input = cleanDay();
    input.bill.push({ businessSerial: 'opX', merchantOrderNo: 'STRANGER1', incomeFen: 0, expenseFen: 500 });
    expect(only(input)).toEqual({
      kind: 'UNKNOWN_TO_US',
      authNo: null,
      outRequestNo: 'STRANGER1',
      ours: 'not booked',
      alipay: 'paid 500 fen (业务流水号 opX)',
      source: 'BILL',
    });
  });

  it('an amount changed in the bill: AMOUNT_DIFFERS with both figures', () => {
    const input = cleanDay();
    input.bill[1] = { ...input.bill[1]!, incomeFen: 600 };
    expect(only(input)).toEqual({
      kind: 'AMOUNT_DIFFERS',
      authNo: 'A',
      outRequestNo: 'AR',
      ours: '700 fen',
      alipay: '600 fen',
      source: 'BILL',
    });
  });

  it('an operation lost from the bill: UNKNOWN_TO_ALIPAY, source BILL', () => {
    const input = cleanDay();
    input.bill.splice(1, 1);
    expect(only(input)).toMatchObject({
      kind: 'UNKNOWN_TO_ALIPAY',
      authNo: 'A',
      outRequestNo: 'AR',
      source: 'BILL',
    });
  });

  it('a payout Alipay does not know: UNKNOWN_TO_ALIPAY, source QUERY (and no bill line is expected for it)', () => {
    const input = cleanDay();
    input.queried.BD1 = { found: false };
    expect(only(input)).toEqual({
      kind: 'UNKNOWN_TO_ALIPAY',
      authNo: 'B',
      outRequestNo: 'BD1',
      ours: '100 fen',
      alipay: 'not found',
      source: 'QUERY',
    });
  });

  it('a payout we released that Alipay paid: STATUS_DIFFERS, FAILED against SUCCESS', () => {
    const input = cleanDay();
    input.queried.AD2 = {
      found: true,
      operationId: 'opAD2',
      amountFen: 200,
      status: 'SUCCESS',
      day: DAY,
    };
    expect(only(input)).toEqual({
      kind: 'STATUS_DIFFERS',
      authNo: 'A',
      outRequestNo: 'AD2',
      ours: 'FAILED',
      alipay: 'SUCCESS 200 fen',
      source: 'QUERY',
    });
  });

  it('a payout Alipay closed that we booked as paid: STATUS_DIFFERS, SUCCESS against CLOSED', () => {
    const input = cleanDay();
    input.queried.AD1 = {
      found: true,
      operationId: 'opAD1',
      amountFen: 300,
      status: 'CLOSED',
    };
    expect(only(input)).toMatchObject({
      kind: 'STATUS_DIFFERS',
      outRequestNo: 'AD1',
      ours: 'SUCCESS',
      alipay: 'CLOSED',
    });
  });

  it('a payout amount that differs at Alipay: AMOUNT_DIFFERS, source QUERY', () => {
    const input = cleanDay();
    input.queried.BD1 = {
      found: true,
      operationId: 'opBD1',
      amountFen: 150,
      status: 'SUCCESS',
      day: DAY,
    };
    expect(only(input)).toEqual({
      kind: 'AMOUNT_DIFFERS',
      authNo: 'B',
      outRequestNo: 'BD1',
      ours: '100 fen',
      alipay: '150 fen',
      source: 'QUERY',
    });
  });

  it('a settled packet whose payouts and refund do not add up to its total: PACKET_UNBALANCED', () => {
    const input = cleanDay();
    // Alipay agrees with every operation (a refund of 6.00), but 3.00 + 6.00 is not 10.00.
    input.packets[0]!.operations[3] = {
      type: 'REFUND',
      outRequestNo: 'AR',
      amountFen: 600,
      status: 'SUCCESS',
    };
    input.queried.AR = {
      found: true,
      operationId: 'opAR',
      amountFen: 600,
      status: 'SUCCESS',
      day: DAY,
    };
    input.bill[1] = { ...input.bill[1]!, incomeFen: 600 };
    expect(only(input)).toEqual({
      kind: 'PACKET_UNBALANCED',
      authNo: 'A',
      outRequestNo: null,
      ours: 'paid out + refunded 900 fen',
      alipay: 'paid in 1000 fen',
      source: 'LEDGER',
    });
  });

  it('refuses to judge an operation it has no query answer for', () => {
    const input = cleanDay();
    delete input.queried.AR;
    expect(() => reconcileDay(input)).toThrow('no query answer for AR');
  });

  it('a pay billed twice: the second line is money we booked once (UNKNOWN_TO_US), not a second match', () => {
    const input = cleanDay();
    input.bill.push({ ...input.bill[0]! });
    expect(only(input)).toEqual({
      kind: 'UNKNOWN_TO_US',
      authNo: 'A',
      outRequestNo: 'AP',
      ours: 'booked once',
      alipay: 'billed again: paid 1000 fen (业务流水号 opAP)',
      source: 'BILL',
    });
    expect(reconcileDay(input).operationsMatched).toBe(8);
  });

  it("yesterday's pay on today's bill is reported, not matched", () => {
    const input = cleanDay();
    input.bill.push({ businessSerial: 'opBP', merchantOrderNo: 'BP', incomeFen: 0, expenseFen: 500 });
    expect(only(input)).toEqual({
      kind: 'STATUS_DIFFERS',
      authNo: 'B',
      outRequestNo: 'BP',
      ours: 'PAY SUCCESS on 2026-11-24',
      alipay: `billed on ${DAY}: paid 500 fen (业务流水号 opBP)`,
      source: 'BILL',
    });
  });

  it('a payout we released that the bill shows as money moving is reported, whatever the query said', () => {
    const input = cleanDay();
    input.bill.push({ businessSerial: 'opAD2', merchantOrderNo: 'AD2', incomeFen: 0, expenseFen: 200 });
    expect(only(input)).toMatchObject({
      kind: 'STATUS_DIFFERS',
      authNo: 'A',
      outRequestNo: 'AD2',
      ours: 'DISBURSE FAILED',
    });
  });

  it('a payout we released that Alipay still has in flight (INIT) is STATUS_DIFFERS: it may yet be paid', () => {
    const input = cleanDay();
    input.queried.AD2 = { found: true, operationId: 'opAD2', amountFen: 200, status: 'INIT' };
    expect(only(input)).toEqual({
      kind: 'STATUS_DIFFERS',
      authNo: 'A',
      outRequestNo: 'AD2',
      ours: 'FAILED',
      alipay: 'INIT',
      source: 'QUERY',
    });
  });

  it('a line under our number with another operation id is not ours: UNKNOWN_TO_US, and ours is missing from the bill', () => {
    const input = cleanDay();
    input.bill[1] = { ...input.bill[1]!, businessSerial: 'opSOMEONE' };
    const report = reconcileDay(input);
    expect(report.differences.map(({ kind, outRequestNo }) => [kind, outRequestNo])).toEqual([
      ['UNKNOWN_TO_US', 'AR'],
      ['UNKNOWN_TO_ALIPAY', 'AR'],
    ]);
  });

  it('a refund billed as money paid out: AMOUNT_DIFFERS naming both directions', () => {
    const input = cleanDay();
    input.bill[1] = { ...input.bill[1]!, incomeFen: 0, expenseFen: 700 };
    expect(only(input)).toMatchObject({
      kind: 'AMOUNT_DIFFERS',
      outRequestNo: 'AR',
      ours: 'refunded 700 fen',
      alipay: 'paid 700 fen (业务流水号 opAR)',
    });
  });

  it('a settled packet whose pay is not its total is unbalanced, even when payouts and refund add up', () => {
    const input = cleanDay();
    input.packets[0]!.operations[0] = { type: 'PAY', outRequestNo: 'AP', amountFen: 1200, status: 'SUCCESS' };
    input.queried.AP = { found: true, operationId: 'opAP', amountFen: 1200, status: 'SUCCESS', day: DAY };
    input.bill[0] = { ...input.bill[0]!, expenseFen: 1200 };
    expect(only(input)).toEqual({
      kind: 'PACKET_UNBALANCED',
      authNo: 'A',
      outRequestNo: null,
      ours: 'paid in 1200 fen',
      alipay: 'total 1000 fen',
      source: 'LEDGER',
    });
  });

  it('an open packet that paid out more than its total is unbalanced already', () => {
    const input = cleanDay();
    input.packets[1]!.operations[1] = {
      type: 'DISBURSE',
      outRequestNo: 'BD1',
      amountFen: 600,
      status: 'SUCCESS',
    };
    input.queried.BD1 = { found: true, operationId: 'opBD1', amountFen: 600, status: 'SUCCESS', day: DAY };
    expect(only(input)).toMatchObject({
      kind: 'PACKET_UNBALANCED',
      authNo: 'B',
      ours: 'paid out + refunded 600 fen',
    });
  });

  it('refuses to judge a pay or refund Alipay shows done without saying when', () => {
    const input = cleanDay();
    input.queried.AR = { found: true, operationId: 'opAR', amountFen: 700, status: 'SUCCESS' };
    expect(() => reconcileDay(input)).toThrow('no transaction day for AR');
  });
});
