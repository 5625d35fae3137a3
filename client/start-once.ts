// Starting a workflow whose id is its identity for ever (a packet, a pay order): started once,
// never again. The request's fingerprint sits in the memo, so the same request again is answered
// as before and a different one is a conflict.
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';

/**
 * True when this call started the workflow, false when this same request had; else `conflict()`
 * is thrown. `fingerprint` may list several forms of the request: the first is stored, any of
 * them matches (so a stored form from an older release still does).
 */
export async function startOnce(
  temporal: Client,
  workflowType: string,
  options: Omit<WorkflowStartOptions, 'workflowIdReusePolicy' | 'memo'>,
  fingerprint: string | readonly string[],
  conflict: () => Error,
  /** More memo fields, set at this start only (e.g. `traced`). */
  memo: Record<string, unknown> = {},
): Promise<boolean> {
  const forms = typeof fingerprint === 'string' ? [fingerprint] : fingerprint;
  try {
    await temporal.workflow.start(workflowType, {
      ...options,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      memo: { ...memo, request: forms[0] },
    } as WorkflowStartOptions);
    return true;
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const description = await temporal.workflow.getHandle(options.workflowId).describe();
    const stored = description.memo?.request;
    if (typeof stored !== 'string' || !forms.includes(stored)) throw conflict();
    return false;
  }
}
