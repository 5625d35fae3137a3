// Histories recorded from the lifecycle scenarios must replay with the current workflow code:
// a change that would break running workflows (non-determinism) fails here.
// Record new scenarios with RECORD_HISTORIES=1 npx vitest run test/workflows: existing fixtures are
// kept as they are (they stand for running workflows), new names are added.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR, readRecordedHistory } from '../helpers/history';
import { WORKFLOWS_PATH } from '../helpers/lifecycle-env';
import { sharedWorkflowBundle } from '../harness/workflow-bundle';

const files = readdirSync(HISTORIES_DIR).filter((name) => name.endsWith('.binpb'));

describe('replay of recorded histories', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(16);
  });

  it.each(files)('%s replays deterministically', async (file) => {
    const history = readRecordedHistory(join(HISTORIES_DIR, file));
    await expect(
      Worker.runReplayHistory({ workflowBundle: await sharedWorkflowBundle(WORKFLOWS_PATH) }, history, file),
    ).resolves.toBeUndefined();
  });
});
