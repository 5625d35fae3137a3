import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** Bundles a workflows module once per test process; every worker in the suite shares it. */
export function sharedWorkflowBundle(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}

const ignore = (): void => undefined;
const quietBundlerLogger = {
  trace: ignore,
  debug: ignore,
  info: ignore,
  warn: console.warn,
  error: console.error,
  log: ignore,
};
