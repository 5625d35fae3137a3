// The reconcile command's exit code, as scripts read it.
import { describe, expect, it } from 'vitest';
import { reconcileExitCode } from '../../client/cli-reconcile';
import { countByKind } from '../../workflows/reconciliation-differences';
import type { DayReconciliation } from '../../workflows/reconciliation-messages';

const clean: DayReconciliation = {
  day: '2026-11-25',
  packetsChecked: 3,
  packetsSkipped: 0,
  skipped: [],
  operationsMatched: 9,
  operationsPending: 0,
  bill: { status: 'MATCHED', lines: 6 },
  differencesByKind: countByKind([]),
  differences: [],
};

describe('redpacket reconcile exit code', () => {
  it('0 for a clean day, 2 for differences, 3 when not everything could be checked', () => {
    expect(reconcileExitCode(clean)).toBe(0);
    expect(
      reconcileExitCode({ ...clean, differencesByKind: { ...countByKind([]), AMOUNT_DIFFERS: 1 } }),
    ).toBe(2);
    expect(reconcileExitCode({ ...clean, bill: { status: 'NOT_READY', detail: 'not yet' } })).toBe(3);
    expect(reconcileExitCode({ ...clean, bill: { status: 'UNREADABLE', detail: 'bad zip' } })).toBe(3);
    expect(reconcileExitCode({ ...clean, packetsSkipped: 1 })).toBe(3);
    // Differences say more than an incomplete check: a script must see them first.
    expect(
      reconcileExitCode({
        ...clean,
        packetsSkipped: 1,
        differencesByKind: { ...countByKind([]), UNKNOWN_TO_US: 4 },
      }),
    ).toBe(2);
  });
});
