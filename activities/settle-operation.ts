// The one rule for money-moving calls: send with fixed request numbers; a transient failure is
// retried (by Temporal) with the same numbers; once the outcome may be unknown, ask Alipay
// (operation query) before anything else, never send new numbers.
import { AlipayError } from '../alipay/errors';
import type { AlipayTransport } from '../alipay/gateway';
import { queryOperation, type FundOperation } from '../alipay/methods';
import { FAILURE_TYPES } from '../workflows/failure-types';
import { closed, isNotFound, isPacketClosed, pending, refused } from './failures';

export interface OperationKey {
  outOrderNo: string;
  outRequestNo: string;
}

/** The operation as Alipay knows it, or undefined when Alipay has no such operation. */
export async function findOperation(
  gateway: AlipayTransport,
  key: OperationKey,
): Promise<FundOperation | undefined> {
  try {
    return await queryOperation(gateway, key);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function settled(operation: FundOperation, what: string): FundOperation {
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
  send: () => Promise<FundOperation>,
  attempt: number,
): Promise<FundOperation> {
  if (attempt > 1) {
    const earlier = await findOperation(gateway, key);
    if (earlier) return settled(earlier, what);
  }
  try {
    return settled(await send(), what);
  } catch (error) {
    if (!(error instanceof AlipayError)) throw error;
    if (error.kind === 'ambiguous') {
      const found = await findOperation(gateway, key);
      if (found) return settled(found, what);
      throw pending(
        `${what} ${key.outRequestNo}: outcome unknown (${error.message}); Alipay has no record yet`,
      );
    }
    if (error.kind === 'permanent' && isPacketClosed(error)) {
      // Our own request, applied on an earlier try, may be what closed the packet (its last fen).
      const found = await findOperation(gateway, key);
      if (found) return settled(found, what);
      throw refused(error, FAILURE_TYPES.closedByAlipay);
    }
    if (error.kind === 'permanent') throw refused(error);
    throw error;
  }
}
