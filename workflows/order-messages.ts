// RedPacketOrder's contract: the service takes the sender's payment itself, then starts the
// packet's RedPacketLifecycle for the new auth_no. Imported by the worker, the HTTP server and
// the CLI; pulls in no workflow code.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FundNotification } from '../alipay/notify';
import type { RedPacketInput } from './messages';

export const ORDER_WORKFLOW_TYPE = 'RedPacketOrder';

export function orderWorkflowIdFor(outOrderNo: string): string {
  return `red-packet-order-${outOrderNo}`;
}

/** The pay's out_request_no: one pay per order, so one number per order. */
export function payRequestNoFor(outOrderNo: string): string {
  return `${outOrderNo}P`;
}

export type PayMethod = 'agreement' | 'app' | 'page';

export type OrderStatus = 'AWAITING_PAYMENT' | 'PAID' | 'EXPIRED_UNPAID' | 'FAILED';

/** Amounts in integer fen. Validated at the edge (client/), trusted here. */
export interface RedPacketOrderInput {
  outOrderNo: string;
  totalFen: number;
  pay: PayMethod;
  /** The payer, for agreement pay (deducted server-side). */
  payerUserId?: string;
  payTimeoutSeconds: number;
  /** The packet's lifetime once paid, or an absolute expiry. */
  ttlMs?: number;
  expiresAt?: string;
  /** What the packet's lifecycle gets besides its pay (split, shares, title, notify settings). */
  packet: Pick<
    RedPacketInput,
    'split' | 'shares' | 'title' | 'notifyUrl' | 'refundNotifyWaitMs' | 'continueAsNewAfterEvents'
  >;
  /** How often to ask Alipay whether the payment went through when no notification came. */
  payCheckIntervalMs?: number;
}

export interface RedPacketOrderState {
  outOrderNo: string;
  status: OrderStatus;
  pay: PayMethod;
  authNo?: string;
  /** app pay: the signed order string for the sender's Alipay app. */
  orderString?: string;
  /** page pay: Alipay's cashier, where the sender pays. */
  cashierUrl?: string;
  failure?: string;
}

export const orderStateQuery = defineQuery<RedPacketOrderState>('orderState');
/** A verified PAY notification for this order (routed by out_order_no). */
export const payNotifySignal = defineSignal<[FundNotification]>('payNotify');
/** Answers once the payment step has started (order string or cashier URL ready) or ended. */
export const payStartedUpdate = defineUpdate<RedPacketOrderState>('payStarted');
