// RedPacketClaimPage: settled claims archived out of a packet's workflow, so that the packet
// carries a bounded state while every claim stays readable. The page stays open while its packet
// runs (the namespace's retention counts from when it closes) and completes, returning its claims,
// when the packet's workflow seals it at the end.
import { condition, setHandler } from '@temporalio/workflow';
import { HANDLER_DESCRIPTIONS } from './handler-descriptions';
import { claimPageQuery, sealClaimPageSignal, type ClaimPage } from './messages';

export async function RedPacketClaimPage(page: ClaimPage): Promise<ClaimPage> {
  let sealed = false;
  setHandler(sealClaimPageSignal, () => void (sealed = true), { description: HANDLER_DESCRIPTIONS.seal });
  setHandler(claimPageQuery, () => page, { description: HANDLER_DESCRIPTIONS.page });
  await condition(() => sealed);
  return page;
}
