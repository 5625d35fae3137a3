// Histories recorded from the lifecycle scenarios must replay with the current workflow code:
// a change that would break running workflows (non-determinism) fails here.
// Record new scenarios with RECORD_HISTORIES=1 npx vitest run test/workflows test/client: existing fixtures are
// kept as they are (they stand for running workflows), new names are added.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry/lib/worker';
import { Worker } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTORS } from '../../worker/workflow-source';
import { BOUNDED_LEDGER_PATCH } from '../../workflows/red-packet-lifecycle';
import { HISTORIES_DIR, readRecordedHistory } from '../helpers/history';
import { WORKFLOWS_PATH } from '../helpers/lifecycle-env';
import { sharedWorkflowBundle } from '../harness/workflow-bundle';

const files = readdirSync(HISTORIES_DIR).filter((name) => name.endsWith('.binpb'));

/**
 * Fixtures stand for workflows running somewhere: one removed is a running history no longer
 * checked. Raise this when adding fixtures; never lower it.
 */
const FIXTURES_AT_LEAST = 50;
const TEST_ROOT = join(__dirname, '..');

/** Every name a test records its history under (the first argument of recordHistory). */
function recordedNames(): Array<{ name: string; file: string }> {
  const found: Array<{ name: string; file: string }> = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts'))
        for (const match of readFileSync(path, 'utf8').matchAll(/recordHistory\(\s*(['`])([^'`]+)\1/g))
          found.push({ name: match[2]!, file: relative(TEST_ROOT, path) });
    }
  };
  visit(TEST_ROOT);
  return found;
}

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
  it('has a committed fixture for every history a test records, and never fewer fixtures', () => {
    const names = recordedNames();
    expect(names.length).toBeGreaterThanOrEqual(25);
    const missing = names.filter(({ name }) => !existsSync(join(HISTORIES_DIR, `${name}.binpb`)));
    expect(missing, 'record them: RECORD_HISTORIES=1 npx vitest run test/workflows test/client').toEqual([]);
    expect(files.length).toBeGreaterThanOrEqual(FIXTURES_AT_LEAST);
  });

  it('has recorded histories to replay, from before and after the bounded ledger', () => {
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

  // Production workers bundle the tracing interceptors (they act in workflows started traced):
  // every history, traced or not, must replay with that bundle too.
  it.each(files)('%s replays with the production bundle (tracing interceptors included)', async (file) => {
    const history = readRecordedHistory(join(HISTORIES_DIR, file));
    await expect(
      Worker.runReplayHistory(
        {
          workflowBundle: await sharedWorkflowBundle(WORKFLOWS_PATH, [WORKFLOW_INTERCEPTORS]),
          sinks: { exporter: makeWorkflowExporter(new InMemorySpanExporter(), new Resource({})) },
        },
        history,
        file,
      ),
    ).resolves.toBeUndefined();
  });
});
