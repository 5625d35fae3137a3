// A day's reconciliation as a person reads it: the UI's current details and the CLI's output.
import { DIFFERENCE_KINDS, type Difference } from './reconciliation-differences';
import type { BillOutcome, DayReconciliation } from './reconciliation-messages';

/** Differences shown one per line; the rest are counted (the result lists more). */
const SHOWN = 50;

export function describeDifference(difference: Difference): string {
  const where = [difference.outRequestNo, difference.authNo ? `packet ${difference.authNo}` : null].filter(
    (part): part is string => part !== null,
  );
  return (
    `${difference.kind}${where.length ? ` ${where.join(', ')}` : ''}: ours ${difference.ours}, ` +
    `Alipay ${difference.alipay} (${difference.source})`
  );
}

export function billSummary(bill: BillOutcome): string {
  return bill.status === 'MATCHED' ? `${bill.lines} lines, matched` : `${bill.status}: ${bill.detail}`;
}

/** `label: value` lines, then one line per difference. */
export function reportLines(report: Omit<DayReconciliation, 'bill'>, bill: string): string[] {
  const total = DIFFERENCE_KINDS.reduce((sum, kind) => sum + report.differencesByKind[kind], 0);
  const lines = [
    `Day: ${report.day} (Beijing time)`,
    `Packets checked: ${report.packetsChecked}` +
      (report.packetsSkipped ? ` (${report.packetsSkipped} not fully checked: see the result)` : ''),
    `Operations matched: ${report.operationsMatched}` +
      (report.operationsPending ? `, ${report.operationsPending} still on their way` : ''),
    `Bill: ${bill}`,
    `Differences: ${total}`,
    ...DIFFERENCE_KINDS.filter((kind) => report.differencesByKind[kind] > 0).map(
      (kind) => `  ${kind}: ${report.differencesByKind[kind]}`,
    ),
    ...report.differences.slice(0, SHOWN).map((difference) => `- ${describeDifference(difference)}`),
  ];
  if (total > Math.min(SHOWN, report.differences.length))
    lines.push(
      `- ... ${total - Math.min(SHOWN, report.differences.length)} more (the result lists up to 200)`,
    );
  return lines;
}
