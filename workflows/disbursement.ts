// Pays one accepted claim. Resolves to paid or failed, never to "unknown": when retries run out
// Alipay decides, so a reservation is released only on a definite answer that nothing was paid.
import { patched, sleep } from '@temporalio/workflow';
import type { DisburseClaimInput } from '../activities';
import {
  disburseClaim,
  failureMessage,
  queryOperation,
  refusalMessage,
  unreconciledMessage,
} from './activity-proxies';

/** The payout as Alipay knows it: an operation under its numbers is adopted only if it is ours. */
function askAlipay(input: DisburseClaimInput) {
  return queryOperation({
    outOrderNo: input.outOrderNo,
    outRequestNo: input.outRequestNo,
    expected: {
      operationType: 'DISBURSE',
      amountFen: input.amountFen,
      payeeUserId: input.payeeUserId,
      payeeLogonId: input.payeeLogonId,
    },
  });
}

export type DisbursementResult = { paid: true; operationId: string } | { paid: false; failure: string };

/** Past the disburse activity's own timeout (45 s): a request still on its way has landed or died. */
const FIRST_RECHECK_MS = 60_000;
const LONGEST_RECHECK_MS = 3_600_000;
/**
 * Before this patch, "Alipay has no such operation" right after the last retry released the
 * reservation, though the request could still land. Now the same request is sent again after a
 * wait: its answer (paid, or refused) is definite; only a refusal or CLOSED releases.
 */
const DEFINITE_RELEASE_PATCH = 'payout-released-only-on-definite-answer';

export async function settleDisbursement(input: DisburseClaimInput): Promise<DisbursementResult> {
  try {
    const result = await disburseClaim(input);
    return { paid: true, operationId: result.operationId };
  } catch (error) {
    if (unreconciledMessage(error)) return holdUnreconciled(input);
    const refusal = refusalMessage(error);
    if (refusal) return { paid: false, failure: refusal };
    if (patched(DEFINITE_RELEASE_PATCH)) return settleUnknownPayout(input, error);
    for (let wait = FIRST_RECHECK_MS; ; wait = Math.min(wait * 2, LONGEST_RECHECK_MS)) {
      try {
        const operation = await askAlipay(input);
        if (operation?.status === 'SUCCESS') return { paid: true, operationId: operation.operationId };
        if (operation === null || operation.status === 'CLOSED') {
          return { paid: false, failure: `not paid by Alipay after retries: ${failureMessage(error)}` };
        }
      } catch {
        // Alipay unreachable for now: ask again after the wait.
      }
      await sleep(wait);
    }
  }
}

/** The outcome is unknown: ask Alipay after waits, and send the same request again when it has none. */
async function settleUnknownPayout(
  input: DisburseClaimInput,
  lastError: unknown,
): Promise<DisbursementResult> {
  for (let wait = FIRST_RECHECK_MS; ; wait = Math.min(wait * 2, LONGEST_RECHECK_MS)) {
    await sleep(wait);
    try {
      const operation = await askAlipay(input);
      if (operation?.status === 'SUCCESS') return { paid: true, operationId: operation.operationId };
      if (operation?.status === 'CLOSED')
        return { paid: false, failure: `closed by Alipay, nothing paid: ${failureMessage(lastError)}` };
      if (operation === null) {
        // Same numbers: Alipay applies it at most once, whether the first one lands later or not.
        const result = await disburseClaim(input);
        return { paid: true, operationId: result.operationId };
      }
    } catch (error) {
      if (unreconciledMessage(error)) return holdUnreconciled(input);
      const refusal = refusalMessage(error);
      if (refusal) return { paid: false, failure: refusal };
      lastError = error; // still unknown (Alipay unreachable, or the resend unanswered): ask again later
    }
  }
}

/**
 * Alipay holds someone else's operation under this payout's request number: the claim stays
 * PENDING, its money reserved, and the packet cannot close until an operator has looked (the
 * worker's logs and the activity failure in the history say what differs). Asked again hourly.
 */
async function holdUnreconciled(input: DisburseClaimInput): Promise<DisbursementResult> {
  for (;;) {
    await sleep(LONGEST_RECHECK_MS);
    try {
      const operation = await askAlipay(input);
      if (operation?.status === 'SUCCESS') return { paid: true, operationId: operation.operationId };
    } catch {
      // Still not ours, or Alipay unreachable: keep holding.
    }
  }
}
