// VERIFYING_FUNDING: the packet opens only once Alipay shows the pay it rests on. Any other
// answer, or none within the activity's retry bound, rejects it; no money has moved by then.
import { sleep, workflowInfo } from '@temporalio/workflow';
import { failureMessage, verifyFunding } from './activity-proxies';
import type { FundingRejection, RedPacketInput } from './messages';

/** Marks histories that verify funding; older ones replay without (they opened at once). */
export const VERIFY_FUNDING_PATCH = 'verify-funding-before-open';

/**
 * A packet started by a pay order rests on a payment the order has seen Alipay confirm: while
 * Alipay cannot be asked, it keeps asking (every 10 minutes, for a day) rather than reject.
 */
const ORDERED_RETRY_MS = 10 * 60_000;
const ORDERED_RETRIES = 144;

export async function checkFunding(input: RedPacketInput): Promise<FundingRejection | undefined> {
  let rejection = await checkFundingOnce(input);
  const ordered = workflowInfo().parent !== undefined;
  for (
    let retry = 0;
    ordered && rejection?.reason === 'FUNDING_UNVERIFIED' && retry < ORDERED_RETRIES;
    retry++
  ) {
    await sleep(ORDERED_RETRY_MS);
    rejection = await checkFundingOnce(input);
  }
  return rejection;
}

async function checkFundingOnce(input: RedPacketInput): Promise<FundingRejection | undefined> {
  if (!input.funding)
    return { reason: 'FUNDING_NOT_NAMED', detail: 'the registration names no pay to verify' };
  try {
    const verdict = await verifyFunding({
      authNo: input.authNo,
      outOrderNo: input.outOrderNo,
      totalFen: input.totalFen,
      funding: input.funding,
    });
    return verdict.verified ? undefined : { reason: verdict.reason, detail: verdict.detail };
  } catch (error) {
    return { reason: 'FUNDING_UNVERIFIED', detail: `Alipay did not answer: ${failureMessage(error)}` };
  }
}
