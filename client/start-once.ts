// Starting a workflow whose id is its identity for ever (a packet, a pay order): started once,
// never again. The request's fingerprint sits in the memo, so the same request again is answered
// as before and a different one is a conflict.
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';

/** True when this call started the workflow, false when this same request had; else `conflict()` is thrown. */
export async function startOnce(
  temporal: Client,
  workflowType: string,
  options: Omit<WorkflowStartOptions, 'workflowIdReusePolicy' | 'memo'>,
  fingerprint: string,
  conflict: () => Error,
): Promise<boolean> {
  try {
    await temporal.workflow.start(workflowType, {
      ...options,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      memo: { request: fingerprint },
    } as WorkflowStartOptions);
    return true;
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const description = await temporal.workflow.getHandle(options.workflowId).describe();
    if (description.memo?.request !== fingerprint) throw conflict();
    return false;
  }
}
