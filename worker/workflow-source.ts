import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';
import type { Env } from '../config/env';
import { ConfigError } from '../config/errors';

const ROOT = resolve(__dirname, '..');
/** Where `npm run build` writes the bundle. */
export const PREBUNDLED_WORKFLOWS = join(ROOT, 'dist', 'workflow-bundle.js');
export const WORKFLOWS_PATH = join(ROOT, 'workflows', 'index.ts');
/** Workflow interceptors: tracing, for the workflows started traced (in every bundle). */
export const WORKFLOW_INTERCEPTORS = join(ROOT, 'workflows', 'tracing-interceptors.ts');

/**
 * WORKFLOW_BUNDLE_PATH set (production images): load that prebundled code, no webpack at start.
 * Otherwise bundle workflows/ from source, so a development worker never runs a stale bundle.
 */
export function workflowSource(
  env: Env = process.env,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const bundlePath = env.WORKFLOW_BUNDLE_PATH?.trim();
  if (!bundlePath) return { workflowsPath: WORKFLOWS_PATH };
  if (!existsSync(bundlePath))
    throw new ConfigError('WORKFLOW_BUNDLE_PATH', `${bundlePath} does not exist (npm run build)`);
  return { workflowBundle: { codePath: bundlePath } };
}
