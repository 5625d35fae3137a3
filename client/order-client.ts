// The typed client of pay orders: the service takes the sender's payment, then the packet runs.
import type { Client } from '@temporalio/client';
import { formatFen } from '../alipay/money';
import {
  ORDER_WORKFLOW_TYPE,
  orderStateQuery,
  orderWorkflowIdFor,
  payStartedUpdate,
  type RedPacketOrderInput,
  type RedPacketOrderState,
} from '../workflows/order-messages';
import type { RedPacketOrder } from '../workflows/red-packet-order';
import { startOnce } from './start-once';

/** The same outOrderNo was ordered with a different request. */
export class OrderConflictError extends Error {
  override name = 'OrderConflictError';
}

/** How long createOrder waits for the pay step (an agreement pay, an order string, a cashier URL). */
const PAY_STEP_WAIT_MS = 10_000;

export type OrderClient = ReturnType<typeof createOrderClient>;

export function createOrderClient(temporal: Client, taskQueue: string) {
  const handleFor = (outOrderNo: string) =>
    temporal.workflow.getHandle<typeof RedPacketOrder>(orderWorkflowIdFor(outOrderNo));

  return {
    /** Starts the order once; the same request again answers the same order, another one conflicts. */
    async createOrder(
      input: RedPacketOrderInput,
      fingerprint = JSON.stringify(input),
    ): Promise<{ created: boolean; order: RedPacketOrderState }> {
      const workflowId = orderWorkflowIdFor(input.outOrderNo);
      const created = await startOnce(
        temporal,
        ORDER_WORKFLOW_TYPE,
        {
          taskQueue,
          workflowId,
          args: [input],
          staticSummary: `Red packet order ${input.outOrderNo}: ${formatFen(input.totalFen)} yuan by ${input.pay} pay`,
        },
        fingerprint,
        () => new OrderConflictError(`order ${input.outOrderNo} was already placed with a different request`),
      );
      const handle = handleFor(input.outOrderNo);
      try {
        const order = await temporal.withDeadline(Date.now() + PAY_STEP_WAIT_MS, () =>
          handle.executeUpdate(payStartedUpdate),
        );
        return { created, order };
      } catch {
        // Started already (the update is refused), finished, or slow: the state says where it is.
        return { created, order: await handle.query(orderStateQuery) };
      }
    },

    getOrder(outOrderNo: string): Promise<RedPacketOrderState> {
      return handleFor(outOrderNo).query(orderStateQuery);
    },

    handle: handleFor,
  };
}
