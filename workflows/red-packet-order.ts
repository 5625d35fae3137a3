// RedPacketOrder: one durable workflow per pay order (id red-packet-order-<out_order_no>).
// AWAITING_PAYMENT -> PAID (then RedPacketLifecycle red-packet-<auth_no> runs on its own)
//                  -> EXPIRED_UNPAID (the pay timeout passed, nothing moved) or FAILED (refused).
import {
  allHandlersFinished,
  condition,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { failureMessage, findPayment, refusalMessage, startPayment } from './activity-proxies';
import { WORKFLOW_TYPE, workflowIdFor, type RedPacketInput } from './messages';
import {
  orderStateQuery,
  payNotifySignal,
  payRequestNoFor,
  payStartedUpdate,
  type RedPacketOrderInput,
  type RedPacketOrderState,
} from './order-messages';
import type { RedPacketLifecycle } from './red-packet-lifecycle';

const DEFAULT_PAY_CHECK_MS = 60_000;
const PAY_GRACE_MS = 60_000;

interface Paid {
  authNo: string;
  operationId: string;
}

export async function RedPacketOrder(input: RedPacketOrderInput): Promise<RedPacketOrderState> {
  const state: RedPacketOrderState = {
    outOrderNo: input.outOrderNo,
    status: 'AWAITING_PAYMENT',
    pay: input.pay,
  };
  let payStepDone = false;
  let notified: Paid | undefined;
  const outRequestNo = payRequestNoFor(input.outOrderNo);

  setHandler(orderStateQuery, () => state);
  setHandler(payStartedUpdate, async () => {
    await condition(() => payStepDone);
    return state;
  });
  setHandler(payNotifySignal, (notification) => {
    // Only Alipay's word that this very pay succeeded, for this amount, counts.
    if (
      notification.operationType === 'PAY' &&
      notification.status === 'SUCCESS' &&
      notification.outOrderNo === input.outOrderNo &&
      notification.outRequestNo === outRequestNo &&
      notification.amount === input.totalFen &&
      notification.authNo &&
      notification.operationId
    ) {
      notified = { authNo: notification.authNo, operationId: notification.operationId };
    }
  });

  let paid: Paid | undefined;
  try {
    const started = await startPayment({
      outOrderNo: input.outOrderNo,
      outRequestNo,
      totalFen: input.totalFen,
      pay: input.pay,
      payerUserId: input.payerUserId,
      payTimeoutSeconds: input.payTimeoutSeconds,
      title: input.packet.title ?? 'Red packet',
      lifetimeMs: lifetimeOf(input) + input.payTimeoutSeconds * 1000,
      notifyUrl: input.packet.notifyUrl,
    });
    paid = started.paid;
    state.orderString = started.orderString;
    state.cashierUrl = started.cashierUrl;
  } catch (error) {
    const refusal = refusalMessage(error);
    if (refusal !== undefined) {
      state.status = 'FAILED';
      state.failure = refusal;
      payStepDone = true;
      await condition(allHandlersFinished);
      return state;
    }
    // Outcome unknown (Alipay kept failing): the money may have moved. Ask Alipay below, as for
    // a payment the sender makes, instead of declaring the order failed.
    state.failure = `pay call unanswered: ${failureMessage(error)}; asking Alipay`;
  }
  // The sender now has what they need to pay (agreement pay: paid already; done once PAID).
  if (!paid) payStepDone = true;

  // Wait for the pay notification; ask Alipay now and then, and once more after the deadline
  // (a payment made in its last second still counts).
  const confirmedAtAlipay = async (): Promise<Paid | undefined> => {
    const found = await findPayment({ outOrderNo: input.outOrderNo, outRequestNo });
    return found && found.status === 'SUCCESS' && found.amountFen === input.totalFen
      ? { authNo: found.authNo, operationId: found.operationId }
      : undefined;
  };
  const deadline = workflowInfo().startTime.getTime() + input.payTimeoutSeconds * 1000 + PAY_GRACE_MS;
  while (!paid) {
    const wait = Math.min(
      input.payCheckIntervalMs ?? DEFAULT_PAY_CHECK_MS,
      Math.max(0, deadline - Date.now()),
    );
    await condition(() => notified !== undefined, wait);
    paid = notified ?? (await confirmedAtAlipay());
    if (!paid && Date.now() >= deadline) {
      state.status = 'EXPIRED_UNPAID';
      await condition(allHandlersFinished);
      return state;
    }
  }

  state.authNo = paid.authNo;
  const packet: RedPacketInput = {
    ...input.packet,
    authNo: paid.authNo,
    outOrderNo: input.outOrderNo,
    totalFen: input.totalFen,
    expiresAt: input.expiresAt ?? new Date(Date.now() + lifetimeOf(input)).toISOString(),
    funding: { payOperationId: paid.operationId },
  };
  await startChild<typeof RedPacketLifecycle>(WORKFLOW_TYPE, {
    workflowId: workflowIdFor(paid.authNo),
    args: [packet],
    // The packet outlives its order: it has its own expiry, refund and notifications.
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  state.status = 'PAID';
  payStepDone = true;
  await condition(allHandlersFinished);
  return state;
}

function lifetimeOf(input: RedPacketOrderInput): number {
  if (input.expiresAt) return Math.max(0, Date.parse(input.expiresAt) - Date.now());
  return input.ttlMs ?? 24 * 3_600_000;
}
