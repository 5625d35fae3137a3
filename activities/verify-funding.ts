// Before a packet opens, Alipay must show the pay it rests on: a PAY, SUCCESS, for exactly the
// registered amount, on this auth_no and out_order_no. A transient failure is thrown (Temporal
// retries, bounded); every definite answer is a verdict.
import { AlipayError } from '../alipay/errors';
import type { AlipayTransport } from '../alipay/gateway';
import { formatFen } from '../alipay/money';
import { queryOperation, type OperationQuery, type QueriedOperation } from '../alipay/methods';
import type { FundingReference, FundingRejection } from '../workflows/messages';
import { firstPayoutNumbers } from '../workflows/request-numbers';
import { isNotFound } from './failures';
import { findOperation } from './settle-operation';

export interface VerifyFundingInput {
  authNo: string;
  outOrderNo: string;
  totalFen: number;
  funding: FundingReference;
}

export type FundingVerdict =
  { verified: true; operationId: string } | ({ verified: false } & FundingRejection);

/** The pay a packet rests on, to ask Alipay about it again. */
export type PayReference = Pick<VerifyFundingInput, 'authNo' | 'outOrderNo' | 'funding'>;

/** The query for the pay a packet rests on: by its operation id (Alipay's efficient form) or its request number. */
export function payQuery(input: PayReference): OperationQuery {
  return 'payOperationId' in input.funding
    ? { authNo: input.authNo, operationId: input.funding.payOperationId }
    : { outOrderNo: input.outOrderNo, outRequestNo: input.funding.payOutRequestNo };
}

function judgeFunding(input: VerifyFundingInput, pay: QueriedOperation): FundingVerdict {
  const refuse = (reason: FundingRejection['reason'], detail: string): FundingVerdict => ({
    verified: false,
    reason,
    detail,
  });
  if (pay.operationType !== 'PAY')
    return refuse(
      'FUNDING_NOT_PAY',
      `operation ${pay.operationId} is a ${pay.operationType ?? 'operation of no type'}, not a PAY`,
    );
  if (pay.authNo !== input.authNo || pay.outOrderNo !== input.outOrderNo)
    return refuse(
      'FUNDING_ORDER_MISMATCH',
      `the pay belongs to auth_no ${pay.authNo}, out_order_no ${pay.outOrderNo}`,
    );
  if (pay.status !== 'SUCCESS') return refuse('FUNDING_NOT_SUCCESS', `the pay is ${pay.status} at Alipay`);
  if (pay.amount !== input.totalFen)
    return refuse(
      'FUNDING_AMOUNT_MISMATCH',
      `Alipay shows ${formatFen(pay.amount)} paid, the packet registers ${formatFen(input.totalFen)}`,
    );
  // A pay stays SUCCESS after a refund: money refunded from it is no longer there to claim.
  if (pay.totalPayRefundAmount !== undefined && pay.totalPayRefundAmount > 0)
    return refuse(
      'FUNDING_REFUNDED',
      `Alipay has refunded ${formatFen(pay.totalPayRefundAmount)} of this pay already`,
    );
  return { verified: true, operationId: pay.operationId };
}

/**
 * Whether a lifecycle of ours has paid out from this auth_no before (its history may be gone past
 * retention): every lifecycle's first payout has the packet's own number (request-numbers.ts).
 */
async function spentBefore(gateway: AlipayTransport, authNo: string): Promise<boolean> {
  return (await findOperation(gateway, firstPayoutNumbers(authNo))) !== undefined;
}

export async function verifyFunding(
  gateway: AlipayTransport,
  input: VerifyFundingInput,
): Promise<FundingVerdict> {
  const verdict = await judgePay(gateway, input);
  if (verdict.verified && (await spentBefore(gateway, input.authNo)))
    return {
      verified: false,
      reason: 'FUNDING_SPENT',
      detail: `a red packet lifecycle has paid out from auth_no ${input.authNo} already`,
    };
  return verdict;
}

async function judgePay(gateway: AlipayTransport, input: VerifyFundingInput): Promise<FundingVerdict> {
  let pay: QueriedOperation;
  try {
    pay = await queryOperation(gateway, payQuery(input));
  } catch (error) {
    if (isNotFound(error))
      return { verified: false, reason: 'FUNDING_NOT_FOUND', detail: 'Alipay has no such pay' };
    if (error instanceof AlipayError && error.kind === 'permanent')
      return {
        verified: false,
        reason: 'FUNDING_UNVERIFIED',
        detail: `Alipay refused the query: ${error.message}`,
      };
    throw error;
  }
  return judgeFunding(input, pay);
}

/**
 * How much Alipay has refunded from the packet's pay so far (its total_pay_refund_amount): the
 * proof of what an automatic refund returned when its notification never came. Throws while
 * Alipay cannot be asked.
 */
export async function refundedFromPay(gateway: AlipayTransport, input: PayReference): Promise<number> {
  const pay = await queryOperation(gateway, payQuery(input));
  return pay.totalPayRefundAmount ?? 0;
}
