// VERIFYING_FUNDING: the packet opens only once Alipay shows the pay it rests on. Any other
// answer, or none within the activity's retry bound, rejects it; no money has moved by then.
import { failureMessage, verifyFunding } from './activity-proxies';
import type { FundingRejection, RedPacketInput } from './messages';

/** Marks histories that verify funding; older ones replay without (they opened at once). */
export const VERIFY_FUNDING_PATCH = 'verify-funding-before-open';

export async function checkFunding(input: RedPacketInput): Promise<FundingRejection | undefined> {
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
