// Histories recorded from the lifecycle scenarios must replay with the current workflow code:
// a change that would break running workflows (non-determinism) fails here.
// Record new scenarios with RECORD_HISTORIES=1 npx vitest run test/workflows: existing fixtures are
// kept as they are (they stand for running workflows), new names are added.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { BOUNDED_LEDGER_PATCH } from '../../workflows/red-packet-lifecycle';
import { HISTORIES_DIR, readRecordedHistory } from '../helpers/history';
import { WORKFLOWS_PATH } from '../helpers/lifecycle-env';
import { sharedWorkflowBundle } from '../harness/workflow-bundle';

const files = readdirSync(HISTORIES_DIR).filter((name) => name.endsWith('.binpb'));

/** Whether the history took the bounded ledger's branch (its patch marker is recorded). */
function markedBounded(file: string): boolean {
  const history = readRecordedHistory(join(HISTORIES_DIR, file));
  return (history.events ?? []).some((event) =>
    Object.values(event.markerRecordedEventAttributes?.details ?? {}).some((payloads) =>
      (payloads.payloads ?? []).some(
        (payload) => JSON.parse(Buffer.from(payload.data ?? []).toString()).id === BOUNDED_LEDGER_PATCH,
      ),
    ),
  );
}

describe('replay of recorded histories', () => {
  it('has recorded histories to replay, from before and after the bounded ledger', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    const lifecycles = files.filter((file) => !file.startsWith('order-'));
    // Fresh runs of the bounded ledger carry its patch marker; continued runs start from carried state.
    expect(
      lifecycles.filter((file) => file.startsWith('bounded-') && markedBounded(file)).length,
    ).toBeGreaterThanOrEqual(15);
    expect(lifecycles.filter((file) => !file.startsWith('bounded-') && markedBounded(file))).toEqual([]);
  });

  it.each(files)('%s replays deterministically', async (file) => {
    const history = readRecordedHistory(join(HISTORIES_DIR, file));
    await expect(
      Worker.runReplayHistory({ workflowBundle: await sharedWorkflowBundle(WORKFLOWS_PATH) }, history, file),
    ).resolves.toBeUndefined();
  });
});
