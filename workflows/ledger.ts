// The exact ledger of one red packet: totals, the claims not yet settled or not yet archived
// (held in full), and a compact index of every settled claim (claim-index.ts) for idempotency
// and the once-per-payee rule. Pure and serialisable, so continue-as-new can carry it.
import {
  claimDigest,
  packEntries,
  payeeDigest,
  unpackEntries,
  type Digest,
  type SettledEntry,
} from './claim-index';
import {
  MAX_CLAIMS,
  type ClaimOutcome,
  type ClaimRefusalReason,
  type ClaimRequest,
  type ClaimStatus,
  type ClaimView,
  type SplitMode,
} from './messages';
import { claimAmount } from './split';

export type ClaimPhase = 'RESERVED' | 'DISBURSING' | 'PAID' | 'FAILED';

/** A claim held in full: not settled yet, or settled and not yet archived in a claim page. */
export interface ClaimRecord {
  claimId: string;
  /** Order of acceptance; names the disbursement's request numbers. */
  seq: number;
  amountFen: number;
  phase: ClaimPhase;
  payeeUserId?: string;
  payeeLogonId?: string;
  operationId?: string;
  failure?: string;
}

/** An unsettled claim as continue-as-new carries it: claimId, seq, amount, user id, logon id. */
export type CarriedClaim = [string, number, number, string | null, string | null];

export interface LedgerSnapshot {
  totalFen: number;
  shares?: number;
  split: SplitMode;
  nextSeq: number;
  /** Every settled claim, packed (claim-index.ts). */
  settled: string;
  /** Claims accepted and not settled yet, in order of acceptance: paid by the next run. */
  unsettled: CarriedClaim[];
}

const MAX_CLAIM_ID_LENGTH = 64;
/** Bytes of the packed index per settled claim (21 bytes in base64). */
const INDEX_BYTES_PER_CLAIM = 28;
/** Failures are Alipay's messages; a page of 1,000 claims must stay well under 512 KiB. */
const MAX_FAILURE_BYTES = 200;
/**
 * Claims a packet records at most, failed ones included (at most MAX_CLAIMS of them not failed):
 * the settled index takes 28 bytes a claim, 420,000 bytes at this cap, within what continue-as-new
 * may carry.
 */
export const MAX_CLAIM_RECORDS = 15_000;

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code >= 0xd800 && code < 0xdc00 ? (i++, 4) : 3;
  }
  return bytes;
}

/** The text cut to at most `max` UTF-8 bytes, between characters. */
function truncateUtf8(text: string, max: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += utf8Length(char);
    if (bytes > max) break;
    end += char.length;
  }
  return text.slice(0, end);
}

function toCarried(claim: Omit<ClaimRecord, 'phase'>): CarriedClaim {
  return [claim.claimId, claim.seq, claim.amountFen, claim.payeeUserId ?? null, claim.payeeLogonId ?? null];
}

/** What carrying this claim unsettled costs in the continue-as-new input, in JSON bytes. */
function carriedBytes(claim: Omit<ClaimRecord, 'phase'>): number {
  return utf8Length(JSON.stringify(toCarried(claim))) + 1;
}

/** An upper bound of carriedBytes() for a claim not yet accepted (its seq and amount unknown). */
export function carriedBytesAtMost(request: ClaimRequest): number {
  return carriedBytes({ ...request, seq: 99_999, amountFen: 99_999_999_999 });
}

export function publicStatus(phase: ClaimPhase): ClaimStatus {
  return phase === 'PAID' ? 'PAID' : phase === 'FAILED' ? 'FAILED' : 'PENDING';
}

export function claimView(claim: ClaimRecord): ClaimView {
  return {
    claimId: claim.claimId,
    seq: claim.seq,
    amountFen: claim.amountFen,
    status: publicStatus(claim.phase),
    ...(claim.failure ? { failure: claim.failure } : {}),
  };
}

function payeeOf(request: Pick<ClaimRequest, 'payeeUserId' | 'payeeLogonId'>) {
  return request.payeeUserId !== undefined
    ? { payeeUserId: request.payeeUserId }
    : { payeeLogonId: request.payeeLogonId };
}

export class Ledger {
  /** Claims held in full, by claimId, in order of acceptance. */
  private readonly live = new Map<string, ClaimRecord>();
  /** Every settled claim by claim digest, archived or not. */
  private readonly settled = new Map<Digest, SettledEntry>();
  /** The payee of every claim ever accepted. */
  private readonly payees = new Set<Digest>();
  /** The claimId digest of every claim ever accepted: no two claims ever share one. */
  private readonly claimDigests = new Set<Digest>();
  private readonly toPay: ClaimRecord[] = [];
  /** Settled claims not yet archived, in order of settlement. */
  private recent: ClaimRecord[] = [];
  private nextSeq: number;
  private committed = 0;
  private unsettledBytes = 0;
  private paid = 0;
  private paidClaims = 0;
  private failedClaims = 0;

  constructor(private readonly terms: Omit<LedgerSnapshot, 'nextSeq' | 'settled' | 'unsettled'>) {
    this.nextSeq = 1;
  }

  static empty(totalFen: number, split: SplitMode, shares?: number): Ledger {
    return new Ledger({ totalFen, split, shares });
  }

  static restore(snapshot: LedgerSnapshot): Ledger {
    const { nextSeq, settled, unsettled, ...terms } = snapshot;
    const ledger = new Ledger(terms);
    ledger.nextSeq = nextSeq;
    for (const entry of unpackEntries(settled)) {
      ledger.index(entry);
      if (entry.paid) ledger.committed += entry.amountFen;
    }
    for (const [claimId, seq, amountFen, payeeUserId, payeeLogonId] of unsettled) {
      const claim: ClaimRecord = {
        claimId,
        seq,
        amountFen,
        phase: 'RESERVED',
        ...(payeeUserId !== null ? { payeeUserId } : {}),
        ...(payeeLogonId !== null ? { payeeLogonId } : {}),
      };
      ledger.hold(claim);
    }
    return ledger;
  }

  private index(entry: SettledEntry): void {
    if (this.settled.has(entry.claimDigest)) throw new Error('claim index: two claims under one digest');
    this.settled.set(entry.claimDigest, entry);
    this.claimDigests.add(entry.claimDigest);
    this.payees.add(entry.payeeDigest);
    if (entry.paid) {
      this.paid += entry.amountFen;
      this.paidClaims += 1;
    } else {
      this.failedClaims += 1;
    }
  }

  private hold(claim: ClaimRecord): void {
    this.live.set(claim.claimId, claim);
    this.claimDigests.add(claimDigest(claim.claimId));
    this.unsettledBytes += carriedBytes(claim);
    this.payees.add(payeeDigest(claim));
    this.committed += claim.amountFen;
    this.toPay.push(claim);
  }

  get totalFen(): number {
    return this.terms.totalFen;
  }

  get shares(): number | undefined {
    return this.terms.shares;
  }

  /** Reserved or paid: money that is no longer the sender's. */
  get committedFen(): number {
    return this.committed;
  }

  get paidFen(): number {
    return this.paid;
  }

  get remainingFen(): number {
    return this.totalFen - this.committed;
  }

  /** Every claim accepted, settled or not. */
  get claimCount(): number {
    return this.settled.size + this.unsettled;
  }

  get paidCount(): number {
    return this.paidClaims;
  }

  get failedCount(): number {
    return this.failedClaims;
  }

  /** What continue-as-new would carry of this ledger now, in bytes (settled claims archived). */
  get carriedBytes(): number {
    return INDEX_BYTES_PER_CLAIM * this.settled.size + this.unsettledBytes;
  }

  /** Claims whose disbursement has not settled yet. */
  get unsettled(): number {
    return this.live.size - this.recent.length;
  }

  /**
   * No claim can be accepted any more: nothing left, every share taken (`shares`, or MAX_CLAIMS
   * when the packet sets none), or MAX_CLAIM_RECORDS claims recorded, failed ones included.
   */
  get exhausted(): boolean {
    return (
      this.remainingFen === 0 ||
      this.claimCount - this.failedCount >= (this.shares ?? MAX_CLAIMS) ||
      this.claimCount >= MAX_CLAIM_RECORDS
    );
  }

  /**
   * A claimId seen before: its first result when payee and amount are the same,
   * CLAIM_ID_CONFLICT when not; undefined for a new claimId.
   */
  repeatOutcome(request: ClaimRequest): ClaimOutcome | undefined {
    const held = this.live.get(request.claimId);
    const digest = claimDigest(request.claimId);
    const entry = held ? undefined : this.settled.get(digest);
    if (!held && !entry) {
      // Another claimId with the same digest (a 64-bit collision) is held in full: refuse.
      if (this.claimDigests.has(digest))
        return { accepted: false, claimId: request.claimId, reason: 'CLAIM_ID_CONFLICT' };
      return undefined;
    }
    const sameAmount = (amountFen: number): boolean =>
      this.terms.split === 'claimant' ? request.amountFen === amountFen : request.amountFen === undefined;
    const same = held
      ? payeeDigest(held) === payeeDigest(request) && sameAmount(held.amountFen)
      : entry!.payeeDigest === payeeDigest(request) && sameAmount(entry!.amountFen);
    if (!same) return { accepted: false, claimId: request.claimId, reason: 'CLAIM_ID_CONFLICT' };
    return {
      accepted: true,
      claimId: request.claimId,
      status: held ? publicStatus(held.phase) : entry!.paid ? 'PAID' : 'FAILED',
      amountFen: held ? held.amountFen : entry!.amountFen,
      remainingFen: this.remainingFen,
    };
  }

  /** Why a new claim would be refused, or undefined if it can be accepted. */
  refusalFor(request: ClaimRequest): ClaimRefusalReason | undefined {
    if (!request.claimId || request.claimId.length > MAX_CLAIM_ID_LENGTH) return 'INVALID_CLAIM_ID';
    if (!request.payeeUserId && !request.payeeLogonId) return 'PAYEE_REQUIRED';
    if (this.payees.has(payeeDigest(request))) return 'PAYEE_ALREADY_CLAIMED';
    if (this.exhausted) return 'SHARES_EXHAUSTED';
    const amount = request.amountFen;
    if (this.terms.split === 'claimant') {
      if (amount === undefined) return 'AMOUNT_REQUIRED';
      if (!Number.isSafeInteger(amount) || amount < 1 || amount > this.remainingFen)
        return 'AMOUNT_OUT_OF_RANGE';
    } else if (amount !== undefined) {
      return 'AMOUNT_NOT_ALLOWED';
    }
    return undefined;
  }

  /** Reserves the claim's amount at once; call only when refusalFor() returned undefined. */
  accept(request: ClaimRequest, random: () => number): ClaimRecord {
    const active = this.claimCount - this.failedCount;
    const amountFen = claimAmount({
      split: this.terms.split,
      totalFen: this.totalFen,
      remainingFen: this.remainingFen,
      sharesLeft: this.shares === undefined ? undefined : this.shares - active,
      shares: this.shares,
      requestedFen: request.amountFen,
      random,
    });
    if (amountFen < 1 || amountFen > this.remainingFen) throw new Error(`split produced ${amountFen} fen`);
    const claim: ClaimRecord = {
      claimId: request.claimId,
      seq: this.nextSeq++,
      amountFen,
      phase: 'RESERVED',
      ...payeeOf(request),
    };
    this.hold(claim);
    return claim;
  }

  /** Whether the claim would be accepted now: a new claimId that nothing refuses. */
  wouldAccept(request: ClaimRequest): boolean {
    return this.repeatOutcome(request) === undefined && this.refusalFor(request) === undefined;
  }

  /** The next accepted claim to pay, in order of acceptance, marked DISBURSING. */
  nextToPay(): ClaimRecord | undefined {
    const claim = this.toPay.shift();
    if (claim) claim.phase = 'DISBURSING';
    return claim;
  }

  get waitingToPay(): number {
    return this.toPay.length;
  }

  markPaid(claim: ClaimRecord, operationId: string): void {
    claim.phase = 'PAID';
    claim.operationId = operationId;
    this.settle(claim, true);
  }

  /** A permanently failed disbursement releases its reservation. */
  markFailed(claim: ClaimRecord, failure: string): void {
    claim.phase = 'FAILED';
    claim.failure = truncateUtf8(failure, MAX_FAILURE_BYTES);
    this.committed -= claim.amountFen;
    this.settle(claim, false);
  }

  private settle(claim: ClaimRecord, paid: boolean): void {
    this.unsettledBytes -= carriedBytes(claim);
    this.index({
      claimDigest: claimDigest(claim.claimId),
      payeeDigest: payeeDigest(claim),
      amountFen: claim.amountFen,
      paid,
    });
    this.recent.push(claim);
  }

  /** Settled claims held in full and not yet archived. */
  get recentlySettled(): number {
    return this.recent.length;
  }

  /** Hands over up to `max` settled claims for a claim page and stops holding them in full. */
  takeSettled(max: number): ClaimView[] {
    const taken = this.recent.slice(0, max);
    this.recent = this.recent.slice(max);
    for (const claim of taken) this.live.delete(claim.claimId);
    return taken.map((claim) => ({
      ...claimView(claim),
      ...(claim.operationId ? { operationId: claim.operationId } : {}),
    }));
  }

  /** Claims held in full, in order of acceptance, after `afterSeq`, at most `limit`. */
  heldClaims(afterSeq: number, limit: number): ClaimView[] {
    const views: ClaimView[] = [];
    for (const claim of this.live.values()) {
      if (views.length >= limit) break;
      if (claim.seq > afterSeq) views.push(claimView(claim));
    }
    return views;
  }

  /** What continue-as-new carries; settled claims must have been archived first. */
  snapshot(): LedgerSnapshot {
    if (this.recent.length > 0) throw new Error('archive settled claims before the snapshot');
    return {
      ...this.terms,
      nextSeq: this.nextSeq,
      settled: packEntries([...this.settled.values()]),
      unsettled: [...this.live.values()].map(toCarried),
    };
  }
}
