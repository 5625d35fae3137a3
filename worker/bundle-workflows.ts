// `npm run build`: bundles the workflow code once, so production workers start without webpack.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUNDLED_WORKFLOWS, WORKFLOW_INTERCEPTORS, WORKFLOWS_PATH } from './workflow-source';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [WORKFLOW_INTERCEPTORS],
  });
  mkdirSync(dirname(PREBUNDLED_WORKFLOWS), { recursive: true });
  writeFileSync(PREBUNDLED_WORKFLOWS, code);
  console.log(`workflow bundle written to ${PREBUNDLED_WORKFLOWS} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
