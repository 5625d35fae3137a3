// What the workflow makes of Alipay's notifications: deduplicated by notify_id, matched against
// our refund by out_request_no and amount, anything else recorded and ignored (never trusted).
import type { FundNotification } from '../alipay/notify';
import type { RefundView } from './messages';
import { refundRequestNo } from './request-numbers';

/** Alipay's own refund of the balance at its expiry: no out_request_no of ours. */
export interface TimeoutRefund {
  notifyId: string;
  amountFen: number;
  operationId?: string;
}

export interface NotificationsSnapshot {
  seenNotifyIds: string[];
  ignored: Array<{ notifyId: string; reason: string }>;
  refundNotices: Array<{ notifyId: string; amountFen: number }>;
  timeoutRefund?: TimeoutRefund;
}

// alipay/notify.ts's REFUND_SUCCESS_NOTIFY_TYPE; workflow code imports alipay/ for types only.
const REFUND_SUCCESS = 'fund_stdtrustee_refund.success';
const IGNORED_KEPT = 50;
/** Alipay repeats a notify_id within about 25 hours; the latest ids are enough to drop repeats. */
const SEEN_KEPT = 200;
const REFUND_NOTICES_KEPT = 20;

export class Notifications {
  private readonly seen: Set<string>;
  private readonly ignored: NotificationsSnapshot['ignored'];
  private readonly refundNotices: NotificationsSnapshot['refundNotices'];
  timeoutRefund: TimeoutRefund | undefined;

  constructor(
    private readonly authNo: string,
    snapshot?: NotificationsSnapshot,
    private readonly requestTag?: string,
  ) {
    this.seen = new Set(snapshot?.seenNotifyIds ?? []);
    this.ignored = [...(snapshot?.ignored ?? [])];
    this.refundNotices = [...(snapshot?.refundNotices ?? [])];
    this.timeoutRefund = snapshot?.timeoutRefund;
  }

  ignore(notifyId: string, reason: string): void {
    this.ignored.push({ notifyId, reason });
    this.ignored.splice(0, this.ignored.length - IGNORED_KEPT);
  }

  /**
   * `refund` is the refund this packet has decided on, if any yet. With `outOrderNo` (the
   * packet's pay), a refund confirmation must also name it, say `status` SUCCESS and
   * `operation_type` REFUND; without (the v1 lifecycle, legacy/), those fields are only checked
   * when present.
   */
  receive(notification: FundNotification, refund: RefundView | null, outOrderNo?: string): void {
    const { notifyId } = notification;
    if (this.seen.has(notifyId)) return;
    this.seen.add(notifyId);
    if (this.seen.size > SEEN_KEPT) this.seen.delete(this.seen.values().next().value!);
    if (notification.authNo !== undefined && notification.authNo !== this.authNo) {
      return this.ignore(notifyId, `auth_no ${notification.authNo} is not this packet's`);
    }
    if (notification.notifyType !== REFUND_SUCCESS) {
      return this.ignore(notifyId, `notify_type ${notification.notifyType} is not a refund confirmation`);
    }
    if (notification.status !== undefined && notification.status !== 'SUCCESS') {
      return this.ignore(notifyId, `status ${notification.status}`);
    }
    if (outOrderNo !== undefined) {
      if (notification.status === undefined) return this.ignore(notifyId, 'no status');
      if (notification.operationType !== 'REFUND')
        return this.ignore(
          notifyId,
          `operation_type ${notification.operationType ?? 'missing'} is not REFUND`,
        );
      if (notification.outOrderNo !== outOrderNo)
        return this.ignore(
          notifyId,
          `out_order_no ${notification.outOrderNo ?? 'missing'} is not this packet's`,
        );
    }
    const amountFen = notification.amount;
    if (amountFen === undefined) return this.ignore(notifyId, 'no amount');
    if (notification.outRequestNo === undefined) {
      this.timeoutRefund = { notifyId, amountFen, operationId: notification.operationId };
      return;
    }
    if (notification.outRequestNo !== refundRequestNo(this.authNo, this.requestTag)) {
      return this.ignore(notifyId, `out_request_no ${notification.outRequestNo} is not this packet's refund`);
    }
    if (refund && amountFen !== refund.amountFen) {
      return this.ignore(
        notifyId,
        `amount ${amountFen} fen does not match the refund of ${refund.amountFen} fen`,
      );
    }
    this.refundNotices.push({ notifyId, amountFen });
    this.refundNotices.splice(0, this.refundNotices.length - REFUND_NOTICES_KEPT);
  }

  /** A notification confirmed this refund: ours by number and amount, or Alipay's timeout refund. */
  confirms(refund: RefundView): 'MERCHANT' | 'ALIPAY_TIMEOUT' | undefined {
    if (this.refundNotices.some((notice) => notice.amountFen === refund.amountFen)) return 'MERCHANT';
    if (this.timeoutRefund?.amountFen === refund.amountFen) return 'ALIPAY_TIMEOUT';
    return undefined;
  }

  ignoredNotifications(): ReadonlyArray<{ notifyId: string; reason: string }> {
    return this.ignored;
  }

  snapshot(): NotificationsSnapshot {
    return {
      seenNotifyIds: [...this.seen],
      ignored: [...this.ignored],
      refundNotices: [...this.refundNotices],
      timeoutRefund: this.timeoutRefund,
    };
  }
}
