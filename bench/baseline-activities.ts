import type { Client } from '@temporalio/client';

export function createBaselineActivities(client: Client) {
  return {
    async doNothing(_claimId: string): Promise<void> {},
    async signalBack(workflowId: string): Promise<void> {
      await client.workflow.getHandle(workflowId).signal('baselineNotify');
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
