// Reads workflow histories: billable actions (DESIGN.md section 7) and recorded replay fixtures.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;
type History = temporal.api.history.v1.IHistory;

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

export function eventTypes(history: History): string[] {
  return (history.events ?? []).map((event) => EventType[event.eventType ?? 0] ?? 'UNKNOWN');
}

/**
 * Actions Temporal Cloud bills that show in a history: the start, signals, accepted updates,
 * activity attempts, timers and search attribute upserts. (Queries and rejected updates are
 * billed too but leave no event.)
 */
export function billableActions(history: History): { total: number; byKind: Record<string, number> } {
  const byKind: Record<string, number> = {};
  const add = (kind: string, count = 1): void => void (byKind[kind] = (byKind[kind] ?? 0) + count);
  for (const event of history.events ?? []) {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        add('start');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        add('signal');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        add('update');
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        add('activity attempt', event.activityTaskStartedEventAttributes?.attempt ?? 1);
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        add('timer');
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        add('upsert');
        break;
      default:
    }
  }
  return { total: Object.values(byKind).reduce((sum, count) => sum + count, 0), byKind };
}

/**
 * With RECORD_HISTORIES=1, keeps this run's history as a replay fixture under test/histories/,
 * protobuf-encoded (exact, and independent of the JSON converters' protobufjs versions). An
 * existing fixture is never overwritten: it stands for workflows already running with the code
 * that wrote it. A scenario whose history changes gets a new name.
 */
export async function recordHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  if (existsSync(join(HISTORIES_DIR, `${name}.binpb`))) return;
  const history = await handle.fetchHistory();
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeFileSync(
    join(HISTORIES_DIR, `${name}.binpb`),
    temporal.api.history.v1.History.encode(history).finish(),
  );
}

export function readRecordedHistory(path: string): temporal.api.history.v1.History {
  return temporal.api.history.v1.History.decode(readFileSync(path));
}

export interface RunFigures {
  runId: string;
  events: number;
  /** Bytes of the run's input (for a continued run: what the previous run carried). */
  inputBytes: number;
}

/** Every run of a workflow from the latest back to the first, with its size figures. */
export async function runChain(client: Client, workflowId: string): Promise<RunFigures[]> {
  const runs: RunFigures[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const started: temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes | null | undefined =
      history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const inputBytes = (started?.input?.payloads ?? []).reduce(
      (sum, payload) => sum + (payload.data?.length ?? 0) + (payload.metadata ? 64 : 0),
      0,
    );
    runs.push({ runId, events: history.events?.length ?? 0, inputBytes });
    runId = started?.continuedExecutionRunId ?? undefined;
  }
  return runs.reverse();
}
