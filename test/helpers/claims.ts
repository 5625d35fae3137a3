// Every claim of a packet, following the typed client's readClaims cursors.
import type { RedPacketClient } from '../../client/red-packet-client';
import type { ClaimView } from '../../workflows/messages';

export async function allClaims(
  packets: RedPacketClient,
  authNo: string,
  limit?: number,
): Promise<ClaimView[]> {
  const claims: ClaimView[] = [];
  let cursor: string | undefined;
  do {
    const page = await packets.readClaims(authNo, { cursor, limit });
    claims.push(...page.state.claims);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return claims;
}
