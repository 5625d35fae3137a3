// The notify webhook's logic: verify, check the app, find the packet's workflow, signal it.
// Alipay gets `success` only once Temporal has accepted the signal, so nothing is ever lost.
import type { KeyObject } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  REFUND_SUCCESS_NOTIFY_TYPE,
  verifyNotification,
  type FundNotification,
  type NotifyParams,
} from '../alipay/notify';
import { alipayNotifySignal, workflowIdFor } from '../workflows/messages';
import { orderWorkflowIdFor, payNotifySignal } from '../workflows/order-messages';
import { authNoFromRequestNo } from '../workflows/request-numbers';

export interface NotifyDeps {
  temporal: Client;
  appId: string;
  alipayPublicKey: KeyObject;
}

const TEMPORAL_DEADLINE_MS = 5_000;

export type NotifyOutcome =
  | { kind: 'delivered'; workflowId: string }
  | { kind: 'already-completed'; workflowId: string }
  /** Terminated, failed, timed out or cancelled: nothing can take it; an operator must look. */
  | { kind: 'workflow-ended'; workflowId: string; status: string }
  | { kind: 'rejected'; reason: string }
  | { kind: 'unknown-packet'; notification: FundNotification }
  | { kind: 'temporal-unavailable'; error: string };

function packetOf(notification: FundNotification): string | undefined {
  if (notification.authNo) return notification.authNo;
  return notification.outRequestNo ? authNoFromRequestNo(notification.outRequestNo) : undefined;
}

export async function handleAlipayNotification(
  deps: NotifyDeps,
  params: NotifyParams,
): Promise<NotifyOutcome> {
  const verification = verifyNotification(params, deps.alipayPublicKey);
  if (!verification.ok) return { kind: 'rejected', reason: `${verification.reason}: ${verification.detail}` };
  const { notification } = verification;
  // DESIGN: notifications carry app_id "often"; a refund confirmation must (it moves our books).
  if (notification.appId === undefined && notification.notifyType === REFUND_SUCCESS_NOTIFY_TYPE)
    return { kind: 'rejected', reason: 'a refund notification without app_id' };
  if (notification.appId !== undefined && notification.appId !== deps.appId) {
    return { kind: 'rejected', reason: `app_id ${notification.appId} is not ours` };
  }
  // Answer Alipay promptly: if Temporal cannot take the signal in time, `fail` makes Alipay retry.
  const promptly = <T>(call: () => Promise<T>): Promise<T> =>
    deps.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, call);
  // A pay of one of our own pay orders goes to that order, which is waiting for it.
  if (notification.operationType === 'PAY' && notification.outOrderNo) {
    const orderId = orderWorkflowIdFor(notification.outOrderNo);
    try {
      await promptly(() => deps.temporal.workflow.getHandle(orderId).signal(payNotifySignal, notification));
      return { kind: 'delivered', workflowId: orderId };
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError))
        return { kind: 'temporal-unavailable', error: String(error) };
      // No such order running: a pay made elsewhere, or a late retry; the packet's own path below.
    }
  }
  const authNo = packetOf(notification);
  if (!authNo) return { kind: 'unknown-packet', notification };
  const workflowId = workflowIdFor(authNo);
  const handle = deps.temporal.workflow.getHandle(workflowId);
  try {
    await promptly(() => handle.signal(alipayNotifySignal, notification));
    return { kind: 'delivered', workflowId };
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError))
      return { kind: 'temporal-unavailable', error: String(error) };
  }
  // Not running: it completed (the notification is a late retry), it ended without completing
  // (acknowledging would discard the notification for good), or it never existed.
  try {
    const { status } = await promptly(() => handle.describe());
    if (status.name === 'RUNNING')
      return { kind: 'temporal-unavailable', error: 'workflow reappeared while signalling' };
    if (status.name === 'COMPLETED') return { kind: 'already-completed', workflowId };
    return { kind: 'workflow-ended', workflowId, status: status.name };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { kind: 'unknown-packet', notification };
    return { kind: 'temporal-unavailable', error: String(error) };
  }
}
