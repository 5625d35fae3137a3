import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';

const ROOT = resolve(__dirname, '..');
/** Written by `npm run build`; production workers load it instead of bundling at start. */
export const PREBUNDLED_WORKFLOWS = join(ROOT, 'dist', 'workflow-bundle.js');
export const WORKFLOWS_PATH = join(ROOT, 'workflows', 'index.ts');

export function workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (existsSync(PREBUNDLED_WORKFLOWS)) return { workflowBundle: { codePath: PREBUNDLED_WORKFLOWS } };
  return { workflowsPath: WORKFLOWS_PATH };
}
