// Reconciliation of one business day (Beijing time): our ledgers against Alipay's two sources,
// its answer to a query for each of our operations and its daily account bill. Pure: the
// reconciliation workflow gathers the three through activities and calls this.
//
// The bill (`signcustomer`) lists movements of the merchant's balance: pays (支出) and refunds
// (收入). Payouts leave the packet, not the balance, so they are checked by query alone.

export type DifferenceKind =
  /** Alipay shows money moving that none of our packets booked. */
  | 'UNKNOWN_TO_US'
  /** We booked money moving that Alipay does not show. */
  | 'UNKNOWN_TO_ALIPAY'
  | 'AMOUNT_DIFFERS'
  /** Both know the operation, but one says money moved and the other does not. */
  | 'STATUS_DIFFERS'
  /** A settled packet whose payouts and refund do not add up to what was paid in. */
  | 'PACKET_UNBALANCED';

export const DIFFERENCE_KINDS: readonly DifferenceKind[] = [
  'UNKNOWN_TO_US',
  'UNKNOWN_TO_ALIPAY',
  'AMOUNT_DIFFERS',
  'STATUS_DIFFERS',
  'PACKET_UNBALANCED',
];

export type OperationType = 'PAY' | 'DISBURSE' | 'REFUND';

/** One of our operations as our ledger books it. */
export interface BookedOperation {
  type: OperationType;
  outRequestNo: string;
  amountFen: number;
  /** SUCCESS: we booked the money as moved; FAILED: we booked it as not moved (a released payout). */
  status: 'SUCCESS' | 'FAILED';
}

export interface BookedPacket {
  authNo: string;
  totalFen: number;
  /** Whether the lifecycle has finished (only then must payouts + refund equal the total). */
  settled: boolean;
  operations: BookedOperation[];
}

/** Alipay's answer to the query for one of our operations (by its request number). */
export type QueriedOperation =
  | { found: false }
  | {
      found: true;
      operationId: string;
      amountFen: number;
      status: 'INIT' | 'SUCCESS' | 'CLOSED';
      /** The Beijing day of its transaction time, yyyy-MM-dd, when Alipay gave one. */
      day?: string;
    };

/** A line of the day's bill, as alipay/bill-file.ts reads it. */
export interface BillLineView {
  businessSerial: string;
  merchantOrderNo: string;
  incomeFen: number;
  expenseFen: number;
}

export interface Difference {
  kind: DifferenceKind;
  /** The packet, when the difference belongs to one we know. */
  authNo: string | null;
  /** Our request number, or the bill's 商户订单号 for a line unknown to us. */
  outRequestNo: string | null;
  /** What our books say, and what Alipay says: an amount in fen, or a status. */
  ours: string;
  alipay: string;
  /** Where Alipay said it. */
  source: 'QUERY' | 'BILL' | 'LEDGER';
}

export interface ReconciliationReport {
  day: string;
  packetsChecked: number;
  /** Our operations Alipay's query confirmed, plus bill lines matched to one of ours. */
  operationsMatched: number;
  differences: Difference[];
  differencesByKind: Record<DifferenceKind, number>;
}

export interface ReconciliationInput {
  day: string;
  packets: BookedPacket[];
  /** By our request number: every operation of every packet must have its answer. */
  queried: Readonly<Record<string, QueriedOperation>>;
  bill: BillLineView[];
}

const fen = (amount: number): string => `${amount} fen`;

/** What a bill line says moved: `paid 500 fen (业务流水号 ...)`. */
function billed(line: BillLineView): string {
  const moves = [
    ...(line.expenseFen ? [`paid ${fen(line.expenseFen)}`] : []),
    ...(line.incomeFen ? [`refunded ${fen(line.incomeFen)}`] : []),
  ];
  return `${moves.join(' and ') || 'nothing'} (业务流水号 ${line.businessSerial})`;
}

/** The bill's columns a pay (支出) or a refund (收入) of ours must fill. */
function expectedColumns(operation: BookedOperation): { expenseFen: number; incomeFen: number } {
  return operation.type === 'PAY'
    ? { expenseFen: operation.amountFen, incomeFen: 0 }
    : { expenseFen: 0, incomeFen: operation.amountFen };
}

/** One of our operations with Alipay's answer to its query. */
export interface KnownOperation {
  authNo: string;
  operation: BookedOperation;
  answer: QueriedOperation;
}

export interface Findings {
  differences: Difference[];
  /** Operations confirmed by query, or bill lines matched to one of ours. */
  matched: number;
}

/** Records differences; the report's lines are built only here. */
class FindingsBuilder implements Findings {
  differences: Difference[] = [];
  matched = 0;
  differ(
    kind: DifferenceKind,
    authNo: string | null,
    outRequestNo: string | null,
    ours: string,
    alipay: string,
    source: Difference['source'],
  ): void {
    this.differences.push({ kind, authNo, outRequestNo, ours, alipay, source });
  }
}

export interface PacketCheck extends Findings {
  /** Every operation of the packet with its answer, for matching the bill. */
  known: KnownOperation[];
}

/** One packet against Alipay's answers to the queries for its operations, and its own balance. */
export function checkPacket(
  packet: BookedPacket,
  queried: Readonly<Record<string, QueriedOperation>>,
): PacketCheck {
  const findings = new FindingsBuilder();
  const known: KnownOperation[] = [];
  for (const operation of packet.operations) {
    const answer = queried[operation.outRequestNo];
    if (answer === undefined) throw new Error(`no query answer for ${operation.outRequestNo}`);
    known.push({ authNo: packet.authNo, operation, answer });
    const queryDiffers = (kind: DifferenceKind, ours: string, alipay: string) =>
      findings.differ(kind, packet.authNo, operation.outRequestNo, ours, alipay, 'QUERY');
    if (operation.status === 'SUCCESS') {
      if (!answer.found) queryDiffers('UNKNOWN_TO_ALIPAY', fen(operation.amountFen), 'not found');
      else if (answer.status !== 'SUCCESS') queryDiffers('STATUS_DIFFERS', 'SUCCESS', answer.status);
      else if (answer.amountFen !== operation.amountFen)
        queryDiffers('AMOUNT_DIFFERS', fen(operation.amountFen), fen(answer.amountFen));
      else findings.matched += 1;
    } else if (answer.found && answer.status === 'SUCCESS') {
      // Released on our side, paid at Alipay: the most expensive difference there is.
      queryDiffers('STATUS_DIFFERS', 'FAILED', `SUCCESS ${fen(answer.amountFen)}`);
    } else if (answer.found && answer.status === 'INIT') {
      // Still on its way at Alipay: released on our side, it may yet be paid.
      queryDiffers('STATUS_DIFFERS', 'FAILED', 'INIT');
    } else findings.matched += 1;
    if (answer.found && answer.status === 'SUCCESS' && operation.type !== 'DISBURSE' && !answer.day)
      throw new Error(`no transaction day for ${operation.outRequestNo}`);
  }
  const sum = (type: OperationType | 'OUT') =>
    packet.operations
      .filter((operation) => operation.status === 'SUCCESS')
      .filter((operation) => (type === 'OUT' ? operation.type !== 'PAY' : operation.type === type))
      .reduce((total, operation) => total + operation.amountFen, 0);
  const paidIn = sum('PAY');
  const out = sum('OUT');
  if (paidIn !== packet.totalFen)
    findings.differ(
      'PACKET_UNBALANCED',
      packet.authNo,
      null,
      `paid in ${fen(paidIn)}`,
      `total ${fen(packet.totalFen)}`,
      'LEDGER',
    );
  else if (packet.settled ? out !== packet.totalFen : out > packet.totalFen)
    findings.differ(
      'PACKET_UNBALANCED',
      packet.authNo,
      null,
      `paid out + refunded ${fen(out)}`,
      `paid in ${fen(packet.totalFen)}`,
      'LEDGER',
    );
  return { differences: findings.differences, matched: findings.matched, known };
}

/**
 * The day's bill against our operations: each pay and refund of ours that Alipay shows done on
 * this day must be exactly one line, and every line must be one of ours.
 */
export function matchBill(
  day: string,
  operations: readonly KnownOperation[],
  bill: readonly BillLineView[],
): Findings {
  const findings = new FindingsBuilder();
  const known = new Map(operations.map((entry) => [entry.operation.outRequestNo, entry]));
  const expected = new Map(
    [...known].filter(
      ([, { operation, answer }]) =>
        operation.type !== 'DISBURSE' && answer.found && answer.status === 'SUCCESS' && answer.day === day,
    ),
  );
  const billedOnce = new Set<string>();
  for (const line of bill) {
    const entry = known.get(line.merchantOrderNo);
    // Under one of our numbers; when Alipay's query named an operation, it must be that one.
    if (entry === undefined || (entry.answer.found && entry.answer.operationId !== line.businessSerial)) {
      findings.differ(
        'UNKNOWN_TO_US',
        null,
        line.merchantOrderNo || null,
        'not booked',
        billed(line),
        'BILL',
      );
      continue;
    }
    const { authNo, operation, answer } = entry;
    if (!expected.has(line.merchantOrderNo)) {
      const when = answer.found && answer.day && answer.day !== day ? ` on ${answer.day}` : '';
      findings.differ(
        'STATUS_DIFFERS',
        authNo,
        operation.outRequestNo,
        `${operation.type} ${operation.status}${when}`,
        `billed on ${day}: ${billed(line)}`,
        'BILL',
      );
    } else if (billedOnce.has(operation.outRequestNo)) {
      findings.differ(
        'UNKNOWN_TO_US',
        authNo,
        operation.outRequestNo,
        'booked once',
        `billed again: ${billed(line)}`,
        'BILL',
      );
    } else {
      billedOnce.add(operation.outRequestNo);
      const want = expectedColumns(operation);
      const rightColumn =
        want.expenseFen > 0
          ? line.incomeFen === 0 && line.expenseFen > 0
          : line.expenseFen === 0 && line.incomeFen > 0;
      if (line.expenseFen === want.expenseFen && line.incomeFen === want.incomeFen) findings.matched += 1;
      else if (rightColumn)
        findings.differ(
          'AMOUNT_DIFFERS',
          authNo,
          operation.outRequestNo,
          fen(operation.amountFen),
          fen(line.expenseFen + line.incomeFen),
          'BILL',
        );
      else
        findings.differ(
          'AMOUNT_DIFFERS',
          authNo,
          operation.outRequestNo,
          `${operation.type === 'PAY' ? 'paid' : 'refunded'} ${fen(operation.amountFen)}`,
          billed(line),
          'BILL',
        );
    }
  }
  for (const [outRequestNo, { authNo, operation }] of expected)
    if (!billedOnce.has(outRequestNo))
      findings.differ(
        'UNKNOWN_TO_ALIPAY',
        authNo,
        outRequestNo,
        fen(operation.amountFen),
        'not in the bill',
        'BILL',
      );
  return { differences: findings.differences, matched: findings.matched };
}

export function countByKind(differences: readonly Difference[]): Record<DifferenceKind, number> {
  const counts = Object.fromEntries(DIFFERENCE_KINDS.map((kind) => [kind, 0])) as Record<
    DifferenceKind,
    number
  >;
  for (const difference of differences) counts[difference.kind] += 1;
  return counts;
}

export function reconcileDay(input: ReconciliationInput): ReconciliationReport {
  const checks = input.packets.map((packet) => checkPacket(packet, input.queried));
  const bill = matchBill(
    input.day,
    checks.flatMap((check) => check.known),
    input.bill,
  );
  const differences = [...checks.flatMap((check) => check.differences), ...bill.differences];
  return {
    day: input.day,
    packetsChecked: input.packets.length,
    operationsMatched: checks.reduce((total, check) => total + check.matched, bill.matched),
    differences,
    differencesByKind: countByKind(differences),
  };
}
