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

export function reconcileDay(input: ReconciliationInput): ReconciliationReport {
  const differences: Difference[] = [];
  let matched = 0;
  /** Our pays and refunds Alipay shows as done on this day: each must be a line of the bill. */
  const expectedInBill = new Map<
    string,
    { authNo: string; operation: BookedOperation; operationId: string }
  >();

  for (const packet of input.packets) {
    const differ = (
      kind: DifferenceKind,
      operation: BookedOperation,
      ours: string,
      alipay: string,
      source: Difference['source'] = 'QUERY',
    ) =>
      differences.push({
        kind,
        authNo: packet.authNo,
        outRequestNo: operation.outRequestNo,
        ours,
        alipay,
        source,
      });
    for (const operation of packet.operations) {
      const answer = input.queried[operation.outRequestNo];
      if (answer === undefined) throw new Error(`no query answer for ${operation.outRequestNo}`);
      const movedAtAlipay = answer.found && answer.status === 'SUCCESS';
      if (operation.status === 'SUCCESS') {
        if (!answer.found) differ('UNKNOWN_TO_ALIPAY', operation, fen(operation.amountFen), 'not found');
        else if (!movedAtAlipay) differ('STATUS_DIFFERS', operation, 'SUCCESS', answer.status);
        else if (answer.amountFen !== operation.amountFen)
          differ('AMOUNT_DIFFERS', operation, fen(operation.amountFen), fen(answer.amountFen));
        else matched += 1;
      } else if (movedAtAlipay) {
        // Released on our side, paid at Alipay: the most expensive difference there is.
        differ('STATUS_DIFFERS', operation, 'FAILED', `SUCCESS ${fen(answer.amountFen)}`);
      } else matched += 1;
      if (movedAtAlipay && answer.day === input.day && operation.type !== 'DISBURSE')
        expectedInBill.set(operation.outRequestNo, {
          authNo: packet.authNo,
          operation,
          operationId: answer.operationId,
        });
    }
    if (packet.settled) {
      const moved = packet.operations
        .filter((operation) => operation.status === 'SUCCESS' && operation.type !== 'PAY')
        .reduce((sum, operation) => sum + operation.amountFen, 0);
      if (moved !== packet.totalFen)
        differences.push({
          kind: 'PACKET_UNBALANCED',
          authNo: packet.authNo,
          outRequestNo: null,
          ours: `paid out + refunded ${fen(moved)}`,
          alipay: `paid in ${fen(packet.totalFen)}`,
          source: 'LEDGER',
        });
    }
  }

  const byOperationId = new Map([...expectedInBill.values()].map((entry) => [entry.operationId, entry]));
  const ours = new Map(
    input.packets.flatMap((packet) =>
      packet.operations.map(
        (operation) => [operation.outRequestNo, { authNo: packet.authNo, operation }] as const,
      ),
    ),
  );
  const seen = new Set<string>();
  for (const line of input.bill) {
    const entry =
      expectedInBill.get(line.merchantOrderNo) ??
      byOperationId.get(line.businessSerial) ??
      ours.get(line.merchantOrderNo);
    const billed = line.expenseFen || line.incomeFen;
    if (!entry) {
      differences.push({
        kind: 'UNKNOWN_TO_US',
        authNo: null,
        outRequestNo: line.merchantOrderNo || null,
        ours: 'not booked',
        alipay: `${line.expenseFen ? 'paid' : 'refunded'} ${fen(billed)} (业务流水号 ${line.businessSerial})`,
        source: 'BILL',
      });
      continue;
    }
    seen.add(entry.operation.outRequestNo);
    const expectedFen = entry.operation.type === 'PAY' ? line.expenseFen : line.incomeFen;
    if (expectedFen !== entry.operation.amountFen || (line.expenseFen > 0 && line.incomeFen > 0))
      differences.push({
        kind: 'AMOUNT_DIFFERS',
        authNo: entry.authNo,
        outRequestNo: entry.operation.outRequestNo,
        ours: fen(entry.operation.amountFen),
        alipay: fen(billed),
        source: 'BILL',
      });
    else matched += 1;
  }
  for (const [outRequestNo, entry] of expectedInBill)
    if (!seen.has(outRequestNo))
      differences.push({
        kind: 'UNKNOWN_TO_ALIPAY',
        authNo: entry.authNo,
        outRequestNo,
        ours: fen(entry.operation.amountFen),
        alipay: 'not in the bill',
        source: 'BILL',
      });

  const differencesByKind = Object.fromEntries(DIFFERENCE_KINDS.map((kind) => [kind, 0])) as Record<
    DifferenceKind,
    number
  >;
  for (const difference of differences) differencesByKind[difference.kind] += 1;
  return {
    day: input.day,
    packetsChecked: input.packets.length,
    operationsMatched: matched,
    differences,
    differencesByKind,
  };
}
