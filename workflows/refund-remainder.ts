// Refunds the unclaimed remainder and waits until Alipay confirms it: by notification, or, when
// none comes within the wait, by operation query (waiting longer each time). A permanent refusal
// parks the packet in REFUND_BLOCKED until an operator signals a retry.
import { condition, patched } from '@temporalio/workflow';
import {
  closedByAlipay,
  failureMessage,
  queryOperation,
  refundedFromPay,
  refusalMessage,
  sendRefund,
  unreconciledMessage,
} from './activity-proxies';
import { refundRemark } from './refund-remark';
import type { RedPacketInput, RedPacketStatus, RefundView } from './messages';
import type { Notifications } from './notifications';
import { refundRequestNo } from './request-numbers';

export interface RefundContext {
  input: RedPacketInput;
  /** The tag in the lifecycle's request numbers, if they carry one (request-numbers.ts). */
  requestTag?: string;
  amountFen: number;
  notifications: Notifications;
  /** `lasting`: the state may last, so it is worth a search attribute upsert. */
  setStatus(status: RedPacketStatus, lasting: boolean): void;
  setRefund(view: RefundView): void;
  /** Resolves when an operator asks for a retry (or a notification settles the refund). */
  waitForOperator(refund: RefundView): Promise<void>;
}

/**
 * ORDER_ALREADY_CLOSED completes the refund only with proof of what Alipay refunded: before this
 * patch it was taken as Alipay's timeout refund of exactly our remainder.
 */
const CLOSED_REFUND_PROOF_PATCH = 'closed-refund-needs-proof';

const DEFAULT_NOTIFY_WAIT_MS = 10 * 60_000;
/** Alipay retries notifications for about 25 hours; asking every 6 hours at most is plenty. */
const LONGEST_NOTIFY_WAIT_MS = 6 * 3_600_000;

type Confirmation =
  { confirmed: true; source: RefundView['source'] } | { confirmed: false; next: 'resend' | 'blocked' };

export async function refundRemainder(context: RefundContext): Promise<RefundView> {
  const { input, notifications } = context;
  let refund: RefundView = {
    outRequestNo: refundRequestNo(input.authNo, context.requestTag),
    amountFen: context.amountFen,
    status: 'PENDING',
    source: 'MERCHANT',
  };
  const update = (changes: Partial<RefundView>): void => {
    refund = { ...refund, ...changes };
    context.setRefund(refund);
  };
  update({});

  for (;;) {
    const alreadyConfirmed = notifications.confirms(refund);
    if (alreadyConfirmed) {
      update({ status: 'SUCCESS', source: alreadyConfirmed, failure: undefined });
      return refund;
    }
    context.setStatus('REFUNDING', false);
    let failure: string | undefined;
    let unreconciled: Pick<RefundView, 'reason' | 'alipayRefundedFen'> = {};
    try {
      await sendRefund({
        authNo: input.authNo,
        payOutOrderNo: input.outOrderNo,
        outRequestNo: refund.outRequestNo,
        amountFen: refund.amountFen,
        remark: refundRemark(input.title),
        notifyUrl: input.notifyUrl,
      });
    } catch (error) {
      if (closedByAlipay(error) && !patched(CLOSED_REFUND_PROOF_PATCH)) {
        update({ status: 'SUCCESS', source: 'ALIPAY_TIMEOUT', failure: undefined });
        return refund;
      }
      if (closedByAlipay(error)) {
        // Alipay refunded the balance itself: believed only when its figure is our remainder.
        const alipayRefundedFen = await refundedByAlipay(context);
        if (alipayRefundedFen === refund.amountFen) {
          update({ status: 'SUCCESS', source: 'ALIPAY_TIMEOUT', failure: undefined });
          return refund;
        }
        unreconciled = { reason: 'UNRECONCILED', alipayRefundedFen };
      }
      failure = refusalMessage(error);
      if (unreconciledMessage(error)) unreconciled = { reason: 'UNRECONCILED', alipayRefundedFen: null };
      if (unreconciled.reason && closedByAlipay(error))
        failure =
          unreconciled.alipayRefundedFen === null
            ? 'Alipay closed the packet (ORDER_ALREADY_CLOSED) and could not be asked what it refunded'
            : `Alipay closed the packet and shows ${unreconciled.alipayRefundedFen} fen refunded; our remainder is ${refund.amountFen} fen`;
      // Retries ran out on a transient failure: the refund may or may not exist; the query decides.
      if (!failure) update({ failure: failureMessage(error) });
    }
    if (!failure) {
      update({ status: 'SENT' });
      context.setStatus('AWAITING_REFUND_NOTIFY', false);
      const confirmation = await awaitConfirmation(context, () => refund);
      if (confirmation.confirmed) {
        update({ status: 'SUCCESS', source: confirmation.source, failure: undefined });
        return refund;
      }
      if (confirmation.next === 'resend') continue;
      failure = `refund ${refund.outRequestNo} was closed by Alipay`;
    }
    update({
      status: 'BLOCKED',
      failure,
      reason: unreconciled.reason,
      alipayRefundedFen: unreconciled.alipayRefundedFen,
    });
    context.setStatus('REFUND_BLOCKED', true);
    await context.waitForOperator(refund);
    update({ reason: undefined, alipayRefundedFen: undefined });
  }
}

/**
 * What Alipay shows refunded from the packet's pay (its total_pay_refund_amount), or, when it
 * cannot be asked, what its timeout-refund notification said; null when neither is known.
 */
async function refundedByAlipay(context: RefundContext): Promise<number | null> {
  const { input, notifications } = context;
  const noticed = notifications.timeoutRefund?.amountFen ?? null;
  if (!input.funding) return noticed;
  try {
    return await refundedFromPay({
      authNo: input.authNo,
      outOrderNo: input.outOrderNo,
      funding: input.funding,
    });
  } catch {
    return noticed;
  }
}

async function awaitConfirmation(context: RefundContext, current: () => RefundView): Promise<Confirmation> {
  const confirmedBy = (): RefundView['source'] | undefined => context.notifications.confirms(current());
  let wait = context.input.refundNotifyWaitMs ?? DEFAULT_NOTIFY_WAIT_MS;
  let announced = false;
  for (;;) {
    // Most notifications have arrived by now: no timer is started for them.
    if (!confirmedBy()) await condition(() => confirmedBy() !== undefined, wait);
    const source = confirmedBy();
    if (source) return { confirmed: true, source };
    if (!announced) {
      context.setStatus('AWAITING_REFUND_NOTIFY', true);
      announced = true;
    }
    const refund = current();
    try {
      const operation = await queryOperation({
        outOrderNo: context.input.outOrderNo,
        outRequestNo: refund.outRequestNo,
      });
      if (operation === null) return { confirmed: false, next: 'resend' };
      if (operation.status === 'CLOSED') return { confirmed: false, next: 'blocked' };
      if (operation.status === 'SUCCESS' && operation.amountFen === refund.amountFen) {
        return { confirmed: true, source: 'MERCHANT' };
      }
    } catch {
      // Alipay unreachable for now: keep waiting for the notification, ask again later.
    }
    wait = Math.min(wait * 2, LONGEST_NOTIFY_WAIT_MS);
  }
}
