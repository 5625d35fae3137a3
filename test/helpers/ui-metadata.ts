// What the Temporal UI and `temporal workflow metadata` show of a workflow: its handlers with their
// descriptions and its current details (the SDK's built-in metadata query).
import type { WorkflowHandle } from '@temporalio/client';

interface HandlerDefinition {
  name: string;
  description?: string;
}

export interface UiMetadata {
  handlers: { query: HandlerDefinition[]; signal: HandlerDefinition[]; update: HandlerDefinition[] };
  currentDetails: string;
}

export async function uiMetadata(handle: WorkflowHandle): Promise<UiMetadata> {
  const metadata = await handle.query<{
    definition?: {
      queryDefinitions?: HandlerDefinition[];
      signalDefinitions?: HandlerDefinition[];
      updateDefinitions?: HandlerDefinition[];
    };
    currentDetails?: string;
  }>('__temporal_workflow_metadata');
  // The SDK's own handlers (__stack_trace and the like) are not ours to describe.
  const ours = (definitions: HandlerDefinition[] = []) =>
    definitions.filter(({ name }) => !name.startsWith('__'));
  return {
    handlers: {
      query: ours(metadata.definition?.queryDefinitions),
      signal: ours(metadata.definition?.signalDefinitions),
      update: ours(metadata.definition?.updateDefinitions),
    },
    currentDetails: metadata.currentDetails ?? '',
  };
}

/** The current details as label -> value, one `label: value` per line (throws on any other line). */
export function detailLines(currentDetails: string): Map<string, string> {
  const lines = new Map<string, string>();
  for (const line of currentDetails.split('\n')) {
    const match = /^([A-Z][A-Za-z ]*): (.+)$/.exec(line);
    if (!match) throw new Error(`not a "label: value" line: ${JSON.stringify(line)}`);
    lines.set(match[1]!, match[2]!);
  }
  return lines;
}
