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
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { failureMessage, findPayment, refusalMessage, startPayment } from './activity-proxies';
import { AUTH_NO, RED_PACKET_STATUS, WORKFLOW_TYPE, workflowIdFor, type RedPacketInput } from './messages';
import {
  orderStateQuery,
  payNotifySignal,
  payRequestNoFor,
  payStartedUpdate,
  type RedPacketOrderInput,
  type RedPacketOrderState,
} from './order-messages';
import { HANDLER_DESCRIPTIONS } from './handler-descriptions';
import type { RedPacketLifecycle } from './red-packet-lifecycle';
import { requestTagFor } from './request-numbers';

const DEFAULT_PAY_CHECK_MS = 60_000;
const PAY_GRACE_MS = 60_000;
const LONGEST_PAY_CHECK_MS = 3_600_000;
/** Alipay closes an unpaid order at its pay timeout; a day later its answer is final either way. */
const LAST_WORD_MS = 24 * 3_600_000;

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

  setHandler(orderStateQuery, () => state, { description: HANDLER_DESCRIPTIONS.orderState });
  setHandler(
    payStartedUpdate,
    async () => {
      await condition(() => payStepDone);
      return state;
    },
    {
      description: HANDLER_DESCRIPTIONS.payStarted,
      // Started already: the caller reads the state query, and the history does not grow.
      validator: () => {
        if (payStepDone) throw new Error('PAY_STARTED');
      },
    },
  );
  setHandler(
    payNotifySignal,
    (notification) => {
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
    },
    { description: HANDLER_DESCRIPTIONS.payNotify },
  );

  /** Alipay's word on this order's pay; `unknown` when it could not be asked. */
  const askAlipay = async (): Promise<
    { kind: 'paid'; paid: Paid } | { kind: 'unpaid' } | { kind: 'in-progress' } | { kind: 'unknown' }
  > => {
    try {
      const found = await findPayment({ outOrderNo: input.outOrderNo, outRequestNo });
      if (!found || found.status === 'CLOSED') return { kind: 'unpaid' };
      if (found.status === 'INIT') return { kind: 'in-progress' };
      return found.amountFen === input.totalFen
        ? { kind: 'paid', paid: { authNo: found.authNo, operationId: found.operationId } }
        : { kind: 'unknown' };
    } catch {
      return { kind: 'unknown' };
    }
  };

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
    // A refusal on a retry may follow an attempt that went through: FAILED only when Alipay says
    // there is no such pay. Anything less (a query that fails too) keeps asking below.
    const answer = refusal === undefined ? undefined : await askAlipay();
    if (answer?.kind === 'unpaid') {
      state.status = 'FAILED';
      state.failure = refusal;
      payStepDone = true;
      await condition(allHandlersFinished);
      return state;
    }
    if (answer?.kind === 'paid') paid = answer.paid;
    else state.failure = `pay call not settled: ${refusal ?? failureMessage(error)}; asking Alipay`;
  }
  // The sender now has what they need to pay (agreement pay: paid already; done once PAID).
  if (!paid) payStepDone = true;

  // Wait for the pay notification, asking Alipay at doubling intervals (at most hourly, so even a
  // 7-day pay timeout stays a few hundred events). The order expires only on Alipay's definite
  // word after the deadline: no such pay, or CLOSED. A pay in progress (INIT) or a query that
  // fails keeps it waiting, since the payer may still pay.
  const deadline = workflowInfo().startTime.getTime() + input.payTimeoutSeconds * 1000 + PAY_GRACE_MS;
  let interval = input.payCheckIntervalMs ?? DEFAULT_PAY_CHECK_MS;
  while (!paid) {
    const untilDeadline = deadline - Date.now();
    await condition(
      () => notified !== undefined,
      untilDeadline > 0 ? Math.min(interval, untilDeadline) : interval,
    );
    interval = Math.min(interval * 2, LONGEST_PAY_CHECK_MS);
    if (notified) {
      paid = notified;
      break;
    }
    const answer = await askAlipay();
    if (answer.kind === 'paid') paid = answer.paid;
    else if ((answer.kind === 'unpaid' && Date.now() >= deadline) || Date.now() >= deadline + LAST_WORD_MS) {
      state.status = 'EXPIRED_UNPAID';
      if (answer.kind !== 'unpaid')
        state.failure = `Alipay still answered ${answer.kind} a day after the pay timeout: check this order with Alipay`;
      await condition(allHandlersFinished);
      return state;
    }
  }
  state.failure = undefined;

  state.authNo = paid.authNo;
  const packet: RedPacketInput = {
    ...input.packet,
    authNo: paid.authNo,
    outOrderNo: input.outOrderNo,
    totalFen: input.totalFen,
    expiresAt: input.expiresAt ?? new Date(Date.now() + lifetimeOf(input)).toISOString(),
    funding: { payOperationId: paid.operationId },
    // This order's run starts at most one packet: its run id is unique to that lifecycle.
    requestTag: requestTagFor(workflowInfo().runId),
  };
  try {
    await startChild<typeof RedPacketLifecycle>(WORKFLOW_TYPE, {
      workflowId: workflowIdFor(paid.authNo),
      args: [packet],
      // The packet outlives its order: it has its own expiry, refund and notifications.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: AUTH_NO, value: paid.authNo },
        { key: RED_PACKET_STATUS, value: 'VERIFYING_FUNDING' },
      ],
    });
  } catch (error) {
    // The packet of this pay runs already (registered by hand, or an earlier order's): it is paid.
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  state.status = 'PAID';
  payStepDone = true;
  await condition(allHandlersFinished);
  return state;
}

function lifetimeOf(input: RedPacketOrderInput): number {
  if (input.expiresAt) return Math.max(0, Date.parse(input.expiresAt) - Date.now());
  return input.ttlMs ?? 24 * 3_600_000;
}
