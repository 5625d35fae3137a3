// Reading a packet and paging its claims. A running packet answers the state query; a finished
// one is read from its result (no replay on a worker). Claims live in two places: settled ones
// archived in claim pages (RedPacketClaimPage workflows, in the order they were written), then the
// ones the packet still holds (its state or result, in order of acceptance). A cursor walks both.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { RedPacketStateV1 } from '../workflows/legacy/messages-v1';
import type { RedPacketLifecycle } from '../workflows/red-packet-lifecycle';
import {
  claimPageQuery,
  claimPageWorkflowId,
  MAX_STATE_CLAIMS,
  stateQuery,
  workflowIdFor,
  type ClaimPage,
  type ClaimView,
  type EndedStatus,
  type RedPacketState,
} from '../workflows/messages';

const ENDED: readonly EndedStatus[] = ['TERMINATED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

/** The cursor does not point into this packet's claims. */
export class ClaimCursorError extends Error {
  override name = 'ClaimCursorError';
}

/** A packet as read: its state, with an EndedStatus once its workflow ended without completing. */
export type PacketReading = Omit<RedPacketState, 'status'> & {
  status: RedPacketState['status'] | EndedStatus;
};

export interface ClaimsPage {
  /** The packet's totals and status; its `claims` are this page's. */
  state: PacketReading;
  /** Pass it back to read on; null once every claim has been read. */
  nextCursor: string | null;
}

type Position = { page: number; offset: number } | { afterSeq: number };

const CURSOR = /^(?:p([1-9]\d{0,4})\.(\d{1,4})|s(\d{1,6}))$/;

export function parseCursor(cursor: string): Position {
  const match = CURSOR.exec(cursor);
  if (!match) throw new ClaimCursorError('cursor is not one this API gave out');
  return match[1] !== undefined
    ? { page: Number(match[1]), offset: Number(match[2]) }
    : { afterSeq: Number(match[3]) };
}

/** A result or state answer in either shape: packets begun before claim pages hold every claim. */
export function normalizeState(state: RedPacketState | RedPacketStateV1): RedPacketState {
  // Results written before signals were recorded as ignored lack the list.
  if ('claimPages' in state) return { ...state, ignoredSignals: state.ignoredSignals ?? [] };
  const claims: ClaimView[] = state.claims.map((claim, index) => ({ ...claim, seq: index + 1 }));
  return {
    ...state,
    claims,
    claimPages: 0,
    ignoredSignals: [],
    claimCount: claims.length,
    paidFen: claims
      .filter((claim) => claim.status === 'PAID')
      .reduce((sum, claim) => sum + claim.amountFen, 0),
    paidCount: claims.filter((claim) => claim.status === 'PAID').length,
    failedCount: claims.filter((claim) => claim.status === 'FAILED').length,
  };
}

export function createPacketReads(temporal: Client) {
  const packetHandle = (authNo: string): WorkflowHandle<typeof RedPacketLifecycle> =>
    temporal.workflow.getHandle<typeof RedPacketLifecycle>(workflowIdFor(authNo));

  /**
   * The packet now: a finished one from its result; a running one by query; one whose workflow
   * ended without completing by query too (its last ledger), with the workflow's status.
   */
  async function readState(authNo: string, afterSeq: number, limit: number): Promise<PacketReading> {
    const handle = packetHandle(authNo);
    const { status } = await handle.describe();
    const state =
      status.name === 'COMPLETED'
        ? normalizeState(await handle.result())
        : normalizeState(await handle.query(stateQuery, { afterSeq, limit }));
    const claims = state.claims.filter((claim) => claim.seq > afterSeq).slice(0, limit);
    const ended = ENDED.find((name) => name === status.name);
    return { ...state, claims, ...(ended ? { status: ended } : {}) };
  }

  async function readClaimPage(authNo: string, number: number): Promise<ClaimPage> {
    const handle = temporal.workflow.getHandle(claimPageWorkflowId(authNo, number));
    const { status } = await handle.describe();
    return status.name === 'COMPLETED'
      ? ((await handle.result()) as ClaimPage)
      : handle.query(claimPageQuery);
  }

  return {
    readState,

    /** Totals and up to `limit` claims from `cursor` on (from the first claim without one). */
    async readClaims(authNo: string, options: { cursor?: string; limit?: number } = {}): Promise<ClaimsPage> {
      const limit = Math.min(Math.max(1, options.limit ?? MAX_STATE_CLAIMS), MAX_STATE_CLAIMS);
      const position = options.cursor ? parseCursor(options.cursor) : { page: 1, offset: 0 };
      // One read answers most requests: the claims the packet holds, and how many pages it wrote.
      const afterSeq = 'afterSeq' in position ? position.afterSeq : 0;
      const state = await readState(authNo, afterSeq, limit);
      const heldFromStart =
        'page' in position && state.claimPages === 0 && position.page === 1 && position.offset === 0;
      if ('afterSeq' in position || heldFromStart) {
        const last = state.claims.at(-1);
        return { state, nextCursor: state.claims.length === limit && last ? `s${last.seq}` : null };
      }
      if (position.page > state.claimPages)
        throw new ClaimCursorError(`cursor points past claim page ${state.claimPages}`);
      const page = await readClaimPage(authNo, position.page);
      const claims = page.claims.slice(position.offset, position.offset + limit);
      const end = position.offset + claims.length;
      const nextCursor =
        end < page.claims.length
          ? `p${position.page}.${end}`
          : position.page < state.claimPages
            ? `p${position.page + 1}.0`
            : state.claims.length > 0
              ? 's0'
              : null;
      return { state: { ...state, claims }, nextCursor };
    },
  };
}
