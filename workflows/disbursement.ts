// Pays one accepted claim. Resolves to paid or failed, never to "unknown": when retries run out
// the operation query decides, so a reservation is released only if Alipay never paid it.
import { sleep } from '@temporalio/workflow';
import type { DisburseClaimInput } from '../activities';
import { disburseClaim, failureMessage, queryOperation, refusalMessage } from './activity-proxies';

export type DisbursementResult = { paid: true; operationId: string } | { paid: false; failure: string };

const FIRST_RECHECK_MS = 60_000;
const LONGEST_RECHECK_MS = 3_600_000;

export async function settleDisbursement(input: DisburseClaimInput): Promise<DisbursementResult> {
  try {
    const result = await disburseClaim(input);
    return { paid: true, operationId: result.operationId };
  } catch (error) {
    const refusal = refusalMessage(error);
    if (refusal) return { paid: false, failure: refusal };
    for (let wait = FIRST_RECHECK_MS; ; wait = Math.min(wait * 2, LONGEST_RECHECK_MS)) {
      try {
        const operation = await queryOperation({
          outOrderNo: input.outOrderNo,
          outRequestNo: input.outRequestNo,
        });
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
