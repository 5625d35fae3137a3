// The gauges read from Temporal on an interval (a scrape never waits on Temporal, and many scrapers
// cost one read per interval): running packets by status from visibility counts, and the latest
// daily reconciliation (reconciliation-gauges.ts).
import type { Client } from '@temporalio/client';
import { RED_PACKET_STATUS, WORKFLOW_TYPE, type RedPacketStatus } from '../../workflows/messages';
import type { Metrics } from './metrics';
import { refreshReconciliationGauges } from './reconciliation-gauges';

/** The statuses a running packet's search attribute can hold (REFUNDING is never written: it passes). */
export const RUNNING_STATUSES: readonly RedPacketStatus[] = [
  'VERIFYING_FUNDING',
  'OPEN',
  'CLOSING',
  'AWAITING_REFUND_NOTIFY',
  'REFUND_BLOCKED',
];

export const DEFAULT_PACKET_COUNT_INTERVAL_MS = 30_000;

export interface PacketCountWatch {
  /** Resolves after the next refresh (tests); the gauge is set by then, or the failure counted. */
  refreshed(): Promise<void>;
  close(): void;
}

export function watchPacketCounts(
  temporal: Client,
  metrics: Metrics,
  options: { taskQueue: string; intervalMs?: number },
): PacketCountWatch {
  const queue = options.taskQueue.replaceAll("'", '');
  let waiting: Array<() => void> = [];
  let closed = false;
  let reconciliationShown: string | undefined;
  const refresh = async (): Promise<void> => {
    try {
      const counts = await Promise.all(
        RUNNING_STATUSES.map((status) =>
          temporal.workflow.count(
            `WorkflowType = '${WORKFLOW_TYPE}' AND TaskQueue = '${queue}' AND ExecutionStatus = 'Running' ` +
              `AND ${RED_PACKET_STATUS.name} = '${status}'`,
          ),
        ),
      );
      RUNNING_STATUSES.forEach((status, index) => metrics.packets.set({ status }, counts[index]!.count));
    } catch {
      metrics.packetCountFailures.inc();
    }
    reconciliationShown = await refreshReconciliationGauges(temporal, metrics, reconciliationShown).catch(
      () => {
        metrics.packetCountFailures.inc();
        return reconciliationShown;
      },
    );
    const done = waiting;
    waiting = [];
    for (const resolve of done) resolve();
  };
  let timer: NodeJS.Timeout | undefined;
  const loop = (): void => {
    void refresh().then(() => {
      if (!closed) timer = setTimeout(loop, options.intervalMs ?? DEFAULT_PACKET_COUNT_INTERVAL_MS).unref();
    });
  };
  loop();
  return {
    refreshed: () => new Promise((resolve) => waiting.push(resolve)),
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
