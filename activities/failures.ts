// How activities report Alipay outcomes to Temporal: permanent refusals become non-retryable
// ApplicationFailures with explicit types; everything else is retried with the same request.
import { ApplicationFailure } from '@temporalio/activity';
import { AlipayError } from '../alipay/errors';

export const FAILURE_TYPES = {
  /** Alipay refused for good (code and sub_code in the details). */
  refused: 'AlipayRefused',
  /** Alipay has not settled the operation yet (status INIT or unknown): try again later. */
  pending: 'AlipayPending',
} as const;

export interface RefusalDetails {
  code?: string;
  subCode?: string;
  subMsg?: string;
}

export function refused(error: AlipayError): ApplicationFailure {
  const details: RefusalDetails = { code: error.code, subCode: error.subCode, subMsg: error.subMsg };
  return ApplicationFailure.create({
    type: FAILURE_TYPES.refused,
    message: error.message,
    nonRetryable: true,
    details: [details],
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

export function isNotFound(error: unknown): boolean {
  return (
    error instanceof AlipayError &&
    (error.subCode === 'ORDER_NOT_EXIST' || error.subCode?.endsWith('.ORDER_NOT_EXIST') === true)
  );
}
