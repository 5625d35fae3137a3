// The pay step of a pay order: agreement pay deducts server-side at once; app and page pay
// return what the sender needs to pay (a signed order string, a cashier URL). The payment itself
// is then seen by notification or by operation query.
import type { AlipayTransport } from '../alipay/gateway';
import { agreementPay, appPayOrderString, pagePay, type PayRequest } from '../alipay/methods';
import type { PayMethod } from '../workflows/order-messages';
import { findOperation, settleOperation } from './settle-operation';

export interface StartPaymentInput {
  outOrderNo: string;
  outRequestNo: string;
  totalFen: number;
  pay: PayMethod;
  payerUserId?: string;
  payTimeoutSeconds: number;
  title: string;
  /** Alipay's own expiry of the funds must come after the packet's expiry and refund. */
  lifetimeMs: number;
  notifyUrl?: string;
}

export interface StartedPayment {
  paid?: { authNo: string; operationId: string };
  orderString?: string;
  cashierUrl?: string;
}

export interface FoundPayment {
  authNo: string;
  operationId: string;
  amountFen: number;
  status: 'INIT' | 'SUCCESS' | 'CLOSED';
}

/** Alipay's automatic refund of the balance: well after our own (expiry + refund wait + a day). */
function orderExpiredTime(lifetimeMs: number): string {
  return `${Math.ceil(lifetimeMs / 60_000) + 24 * 60}m`;
}

export async function startPayment(
  gateway: AlipayTransport,
  input: StartPaymentInput,
  attempt: number,
  defaultNotifyUrl?: string,
): Promise<StartedPayment> {
  const notifyUrl = input.notifyUrl ?? defaultNotifyUrl;
  const request: PayRequest = {
    outOrderNo: input.outOrderNo,
    outRequestNo: input.outRequestNo,
    orderTitle: input.title,
    amount: input.totalFen,
    payTimeout: `${Math.max(1, Math.ceil(input.payTimeoutSeconds / 60))}m`,
  };
  switch (input.pay) {
    case 'agreement': {
      const operation = await settleOperation(
        gateway,
        { outOrderNo: input.outOrderNo, outRequestNo: input.outRequestNo },
        'pay',
        () =>
          agreementPay(
            gateway,
            {
              ...request,
              payerUserId: input.payerUserId ?? '',
              extraParam: JSON.stringify({
                merchantExt: `orderExpiredTime=${orderExpiredTime(input.lifetimeMs)}`,
              }),
            },
            { notifyUrl },
          ),
        attempt,
        { operationType: 'PAY', amountFen: input.totalFen },
      );
      return { paid: { authNo: operation.authNo, operationId: operation.operationId } };
    }
    case 'app':
      return { orderString: appPayOrderString(gateway, request, { notifyUrl }) };
    case 'page':
      return { cashierUrl: pagePay(gateway, request, { notifyUrl }).url };
  }
}

export async function findPayment(
  gateway: AlipayTransport,
  key: { outOrderNo: string; outRequestNo: string },
): Promise<FoundPayment | null> {
  const operation = await findOperation(gateway, key);
  return operation
    ? {
        authNo: operation.authNo,
        operationId: operation.operationId,
        amountFen: operation.amount,
        status: operation.status,
      }
    : null;
}
