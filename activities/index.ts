// Activities over alipay/: disburse a claim, refund the remainder, query an operation.
// Built by a factory over a configured gateway; the workflow types its proxy from the result.
import { withHeartbeats } from './heartbeat';
import { Context } from '@temporalio/activity';
import type { AlipayTransport } from '../alipay/gateway';
import { disburse, refund } from '../alipay/methods';
import {
  findOperation,
  mismatch,
  settleOperation,
  unreconciled,
  type ExpectedOperation,
} from './settle-operation';
import {
  findPayment,
  startPayment,
  type FoundPayment,
  type StartedPayment,
  type StartPaymentInput,
} from './pay-order';
import {
  refundedFromPay,
  verifyFunding,
  type FundingVerdict,
  type PayReference,
  type VerifyFundingInput,
} from './verify-funding';

export interface ActivityConfig {
  /** Where Alipay sends refund notifications unless a packet names its own. */
  notifyUrl?: string;
}

export interface DisburseClaimInput {
  authNo: string;
  outOrderNo: string;
  outRequestNo: string;
  amountFen: number;
  title: string;
  payeeUserId?: string;
  payeeLogonId?: string;
}

export interface RefundRemainderInput {
  authNo: string;
  /** The pay's out_order_no: the query key of the refund. */
  payOutOrderNo: string;
  outRequestNo: string;
  amountFen: number;
  remark: string;
  notifyUrl?: string;
}

export interface OperationResult {
  operationId: string;
  amountFen: number;
  status: 'INIT' | 'SUCCESS' | 'CLOSED';
}

export interface QueryOperationInput {
  outOrderNo: string;
  outRequestNo: string;
}

export function createActivities(gateway: AlipayTransport, config: ActivityConfig = {}) {
  return withHeartbeats({
    async disburseClaim(input: DisburseClaimInput): Promise<OperationResult> {
      const key = { outOrderNo: input.outOrderNo, outRequestNo: input.outRequestNo };
      const operation = await settleOperation(
        gateway,
        key,
        'disburse',
        () =>
          disburse(gateway, {
            outOrderNo: input.outOrderNo,
            deductAuthNo: input.authNo,
            outRequestNo: input.outRequestNo,
            orderTitle: input.title,
            amount: input.amountFen,
            payeeUserId: input.payeeUserId,
            payeeLogonId: input.payeeLogonId,
          }),
        Context.current().info.attempt,
        {
          operationType: 'DISBURSE',
          amountFen: input.amountFen,
          payeeUserId: input.payeeUserId,
          payeeLogonId: input.payeeLogonId,
        },
      );
      return { operationId: operation.operationId, amountFen: operation.amount, status: operation.status };
    },

    async refundRemainder(input: RefundRemainderInput): Promise<OperationResult> {
      const key = { outOrderNo: input.payOutOrderNo, outRequestNo: input.outRequestNo };
      const notifyUrl = input.notifyUrl ?? config.notifyUrl;
      const operation = await settleOperation(
        gateway,
        key,
        'refund',
        () =>
          refund(
            gateway,
            {
              authNo: input.authNo,
              outRequestNo: input.outRequestNo,
              amount: input.amountFen,
              remark: input.remark,
            },
            { notifyUrl },
          ),
        Context.current().info.attempt,
        { operationType: 'REFUND', amountFen: input.amountFen },
      );
      return { operationId: operation.operationId, amountFen: operation.amount, status: operation.status };
    },

    /** A pay order's pay step (see pay-order.ts). */
    startPayment(input: StartPaymentInput): Promise<StartedPayment> {
      return startPayment(gateway, input, Context.current().info.attempt, config.notifyUrl);
    },

    /** A pay order's payment as Alipay knows it, or null when there is none yet. */
    findPayment(input: QueryOperationInput): Promise<FoundPayment | null> {
      return findPayment(gateway, input);
    },

    /** Whether Alipay shows the pay a new packet rests on (see verify-funding.ts). */
    verifyFunding(input: VerifyFundingInput): Promise<FundingVerdict> {
      return verifyFunding(gateway, input);
    },

    /** How much Alipay has refunded from the packet's pay (see verify-funding.ts). */
    refundedFromPay(input: PayReference): Promise<number> {
      return refundedFromPay(gateway, input);
    },

    /**
     * The operation's status at Alipay, or null when Alipay has no such operation. With
     * `expected`, an operation that is not the one asked for is a non-retryable UNRECONCILED failure.
     */
    async queryOperation(
      input: QueryOperationInput & { expected?: ExpectedOperation },
    ): Promise<OperationResult | null> {
      const operation = await findOperation(gateway, input);
      const why = operation && input.expected ? mismatch(operation, input.expected) : undefined;
      if (why) throw unreconciled(input, why);
      return operation
        ? { operationId: operation.operationId, amountFen: operation.amount, status: operation.status }
        : null;
    },
  });
}

export type RedPacketActivities = ReturnType<typeof createActivities>;
