// Activity stubs with explicit timeouts and bounded retries. Permanent refusals come back as
// non-retryable ApplicationFailures; transient ones are retried with the same request numbers.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { RedPacketActivities } from '../activities';
import { FAILURE_TYPES } from './failure-types';

/**
 * Activities heartbeat every 2 s while they wait on Alipay (activities/heartbeat.ts): an attempt
 * lost with its worker is retried after this, not after its whole start-to-close timeout.
 */
const heartbeatTimeout = '10 seconds';

export const { disburseClaim, refundRemainder: sendRefund } = proxyActivities<RedPacketActivities>({
  startToCloseTimeout: '45 seconds',
  heartbeatTimeout,
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
  },
});

export const { queryOperation, findPayment, startPayment, refundedFromPay } =
  proxyActivities<RedPacketActivities>({
    startToCloseTimeout: '30 seconds',
    heartbeatTimeout,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 10,
    },
  });

/**
 * Checking a new packet's funding: retried about eight minutes (20 attempts, backoff to 30 s), then
 * the packet is rejected as unverified: it never opens on hope. An attempt asks Alipay twice (the
 * pay, and the first payout's number), so a flaky Alipay fails one attempt in three; eight
 * attempts rejected about one funded packet in a thousand in the chaos run, and a rejection is
 * final.
 */
export const { verifyFunding } = proxyActivities<RedPacketActivities>({
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout,
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 20,
  },
});

/** Alipay refused for good (or closed the operation): retrying the same request changes nothing. */
export function refusalMessage(error: unknown): string | undefined {
  if (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    error.cause.nonRetryable
  ) {
    return error.cause.message;
  }
  return undefined;
}

/** The refund found the packet closed by Alipay, with no refund of ours: see FAILURE_TYPES. */
export function closedByAlipay(error: unknown): boolean {
  return (
    error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    error.cause.type === FAILURE_TYPES.closedByAlipay
  );
}

/** Alipay holds an operation under our request number that is not ours: see FAILURE_TYPES. */
export function unreconciledMessage(error: unknown): string | undefined {
  return error instanceof ActivityFailure &&
    error.cause instanceof ApplicationFailure &&
    error.cause.type === FAILURE_TYPES.unreconciled
    ? error.cause.message
    : undefined;
}

export function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}
