// How activities report Alipay outcomes to Temporal: permanent refusals become non-retryable
// ApplicationFailures with explicit types; everything else is retried with the same request.
import { ApplicationFailure } from '@temporalio/activity';
import { AlipayError } from '../alipay/errors';
import { FAILURE_TYPES } from '../workflows/failure-types';

export interface RefusalDetails {
  code?: string;
  subCode?: string;
  subMsg?: string;
}

export function refused(
  error: AlipayError,
  type: (typeof FAILURE_TYPES)['refused' | 'closedByAlipay'] = FAILURE_TYPES.refused,
): ApplicationFailure {
  const details: RefusalDetails = { code: error.code, subCode: error.subCode, subMsg: error.subMsg };
  return ApplicationFailure.create({
    type,
    message: error.message,
    nonRetryable: true,
    details: [details],
    cause: error,
  });
}

export function closed(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.refused,
    message,
    nonRetryable: true,
    details: [{ subCode: 'OPERATION_CLOSED' } satisfies RefusalDetails],
  });
}

export function pending(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FAILURE_TYPES.pending, message, nonRetryable: false });
}

function hasSubCode(error: unknown, subCode: string): boolean {
  return (
    error instanceof AlipayError &&
    (error.subCode === subCode || error.subCode?.endsWith(`.${subCode}`) === true)
  );
}

export function isNotFound(error: unknown): boolean {
  return hasSubCode(error, 'ORDER_NOT_EXIST');
}

export function isPacketClosed(error: unknown): boolean {
  return hasSubCode(error, 'ORDER_ALREADY_CLOSED');
}
