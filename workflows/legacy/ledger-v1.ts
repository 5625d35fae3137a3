// The exact ledger of one red packet: claims, reservations and what is left. Pure and
// serialisable, so continue-as-new can carry it.
import type { ClaimOutcome, ClaimRefusalReason, ClaimRequest, ClaimStatus, SplitMode } from '../messages';
import { claimAmount } from '../split';

export type ClaimPhase = 'RESERVED' | 'DISBURSING' | 'PAID' | 'FAILED';

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

export interface LedgerSnapshot {
  totalFen: number;
  shares?: number;
  split: SplitMode;
  claims: ClaimRecord[];
  nextSeq: number;
}

const MAX_CLAIM_ID_LENGTH = 64;

export function publicStatus(phase: ClaimPhase): ClaimStatus {
  return phase === 'PAID' ? 'PAID' : phase === 'FAILED' ? 'FAILED' : 'PENDING';
}

export class Ledger {
  private readonly claims: ClaimRecord[];
  private readonly byId = new Map<string, ClaimRecord>();
  private nextSeq: number;

  constructor(private readonly snapshotIn: LedgerSnapshot) {
    this.claims = snapshotIn.claims.map((claim) => ({ ...claim }));
    for (const claim of this.claims) this.byId.set(claim.claimId, claim);
    this.nextSeq = snapshotIn.nextSeq;
  }

  static empty(totalFen: number, split: SplitMode, shares?: number): Ledger {
    return new Ledger({ totalFen, split, shares, claims: [], nextSeq: 1 });
  }

  get totalFen(): number {
    return this.snapshotIn.totalFen;
  }

  get shares(): number | undefined {
    return this.snapshotIn.shares;
  }

  /** Reserved or paid: money that is no longer the sender's. */
  get committedFen(): number {
    return this.claims.reduce((sum, claim) => (claim.phase === 'FAILED' ? sum : sum + claim.amountFen), 0);
  }

  get paidFen(): number {
    return this.claims.reduce((sum, claim) => (claim.phase === 'PAID' ? sum + claim.amountFen : sum), 0);
  }

  get remainingFen(): number {
    return this.totalFen - this.committedFen;
  }

  get activeClaims(): number {
    return this.claims.filter((claim) => claim.phase !== 'FAILED').length;
  }

  inPhase(phase: ClaimPhase): ClaimRecord[] {
    return this.claims.filter((claim) => claim.phase === phase);
  }

  /** Claims whose disbursement has not settled yet. */
  get unsettled(): number {
    return this.claims.filter((claim) => claim.phase === 'RESERVED' || claim.phase === 'DISBURSING').length;
  }

  /** No claim can be accepted any more: nothing left, or every share taken. */
  get exhausted(): boolean {
    return this.remainingFen === 0 || (this.shares !== undefined && this.activeClaims >= this.shares);
  }

  find(claimId: string): ClaimRecord | undefined {
    return this.byId.get(claimId);
  }

  /** Why a new claim would be refused, or undefined if it can be accepted. */
  refusalFor(request: ClaimRequest): ClaimRefusalReason | undefined {
    if (!request.claimId || request.claimId.length > MAX_CLAIM_ID_LENGTH) return 'INVALID_CLAIM_ID';
    if (!request.payeeUserId && !request.payeeLogonId) return 'PAYEE_REQUIRED';
    if (this.exhausted) return 'SHARES_EXHAUSTED';
    const amount = request.amountFen;
    if (this.snapshotIn.split === 'claimant') {
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
    const amountFen = claimAmount({
      split: this.snapshotIn.split,
      totalFen: this.totalFen,
      remainingFen: this.remainingFen,
      sharesLeft: this.shares === undefined ? undefined : this.shares - this.activeClaims,
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
      payeeUserId: request.payeeUserId,
      payeeLogonId: request.payeeLogonId,
    };
    this.claims.push(claim);
    this.byId.set(claim.claimId, claim);
    return claim;
  }

  markDisbursing(claim: ClaimRecord): void {
    claim.phase = 'DISBURSING';
  }

  markPaid(claim: ClaimRecord, operationId: string): void {
    claim.phase = 'PAID';
    claim.operationId = operationId;
  }

  /** A permanently failed disbursement releases its reservation. */
  markFailed(claim: ClaimRecord, failure: string): void {
    claim.phase = 'FAILED';
    claim.failure = failure;
  }

  outcome(claim: ClaimRecord): ClaimOutcome {
    return {
      accepted: true,
      claimId: claim.claimId,
      status: publicStatus(claim.phase),
      amountFen: claim.amountFen,
      remainingFen: this.remainingFen,
    };
  }

  allClaims(): readonly ClaimRecord[] {
    return this.claims;
  }

  snapshot(): LedgerSnapshot {
    return { ...this.snapshotIn, claims: this.claims.map((claim) => ({ ...claim })), nextSeq: this.nextSeq };
  }
}
