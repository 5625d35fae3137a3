// The one rule for money-moving calls: send with fixed request numbers; a transient failure is
// retried (by Temporal) with the same numbers; once the outcome may be unknown, ask Alipay
// (operation query) before anything else, never send new numbers.
import { ApplicationFailure } from '@temporalio/activity';
import { AlipayError } from '../alipay/errors';
import type { AlipayTransport } from '../alipay/gateway';
import { queryOperation, type QueriedOperation } from '../alipay/methods';
import { canonicalLogonId } from '../workflows/claim-index';
import { FAILURE_TYPES } from '../workflows/failure-types';
import { closed, isNotFound, isPacketClosed, pending, refused } from './failures';

export interface OperationKey {
  outOrderNo: string;
  outRequestNo: string;
}

/** What our request asked for: an operation found under its number is adopted only if it matches. */
export interface ExpectedOperation {
  operationType: 'PAY' | 'DISBURSE' | 'REFUND';
  amountFen: number;
  payeeUserId?: string;
  payeeLogonId?: string;
}

const OPERATION_TYPES = ['PAY', 'DISBURSE', 'REFUND'];

/**
 * Why the found operation is not the one we asked for, or undefined when it is. Only what Alipay
 * shows is compared, like with like (a user id with a user id), so our own operation is never
 * misjudged for a field Alipay words differently or leaves out.
 */
export function mismatch(found: QueriedOperation, expected: ExpectedOperation): string | undefined {
  const differences: string[] = [];
  const type = found.operationType;
  if (type !== undefined && OPERATION_TYPES.includes(type) && type !== expected.operationType)
    differences.push(`a ${type}, not a ${expected.operationType}`);
  if (found.amount !== expected.amountFen) differences.push(`${found.amount} fen, not ${expected.amountFen}`);
  const otherUser =
    expected.payeeUserId !== undefined &&
    found.payeeUserId !== undefined &&
    found.payeeUserId !== expected.payeeUserId;
  const otherLogon =
    expected.payeeLogonId !== undefined &&
    found.payeeLogonId !== undefined &&
    canonicalLogonId(found.payeeLogonId) !== canonicalLogonId(expected.payeeLogonId);
  if (otherUser || otherLogon) differences.push('to another payee');
  return differences.length > 0 ? differences.join(', ') : undefined;
}

export function unreconciled(key: OperationKey, why: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.unreconciled,
    message: `UNRECONCILED: Alipay's operation under ${key.outRequestNo} is ${why}; never adopted`,
    nonRetryable: true,
  });
}

/** The operation as Alipay knows it, or undefined when Alipay has no such operation. */
export async function findOperation(
  gateway: AlipayTransport,
  key: OperationKey,
): Promise<QueriedOperation | undefined> {
  try {
    return await queryOperation(gateway, key);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function settled(operation: QueriedOperation, what: string): QueriedOperation {
  if (operation.status === 'INIT') throw pending(`${what} ${operation.outRequestNo} is still INIT at Alipay`);
  if (operation.status === 'CLOSED') throw closed(`${what} ${operation.outRequestNo} was CLOSED by Alipay`);
  return operation;
}

/**
 * Runs `send` at most once per attempt. On a retry (`attempt` > 1: an earlier attempt may have
 * reached Alipay) it queries first. UNIQUE_VIOLATION and timeouts are resolved by query in the
 * same attempt. A refusal is a non-retryable ApplicationFailure; anything else is to be retried.
 */
export async function settleOperation(
  gateway: AlipayTransport,
  key: OperationKey,
  what: string,
  send: () => Promise<QueriedOperation>,
  attempt: number,
  expected: ExpectedOperation,
): Promise<QueriedOperation> {
  const adopt = (found: QueriedOperation): QueriedOperation => {
    const why = mismatch(found, expected);
    if (why) throw unreconciled(key, why);
    return settled(found, what);
  };
  if (attempt > 1) {
    const earlier = await findOperation(gateway, key);
    if (earlier) return adopt(earlier);
  }
  try {
    return settled(await send(), what);
  } catch (error) {
    if (!(error instanceof AlipayError)) throw error;
    if (error.kind === 'ambiguous') {
      const found = await findOperation(gateway, key);
      if (found) return adopt(found);
      throw pending(
        `${what} ${key.outRequestNo}: outcome unknown (${error.message}); Alipay has no record yet`,
      );
    }
    if (error.kind === 'permanent' && isPacketClosed(error)) {
      // Our own request, applied on an earlier try, may be what closed the packet (its last fen).
      const found = await findOperation(gateway, key);
      if (found) return adopt(found);
      throw refused(error, FAILURE_TYPES.closedByAlipay);
    }
    if (error.kind === 'permanent') throw refused(error);
    throw error;
  }
}
