// Validation of the service API's request bodies, beyond their JSON schema: money, time,
// and the rules between fields. Produces the workflow's input in integer fen.
import { AmountError, MAX_AMOUNT_FEN, parseAmount } from '../../alipay/money';
import type { ClaimRequest, FundingReference, RedPacketInput, SplitMode } from '../../workflows/messages';
import { payeeLogonIdProblem, titleProblem } from '../input-rules';
import { badRequest } from './errors';

export interface CreateBody {
  authNo: string;
  outOrderNo: string;
  /** The pay this packet rests on: its operation_id, or its out_request_no. Exactly one. */
  payOperationId?: string;
  payOutRequestNo?: string;
  amount: string;
  shares?: number;
  split?: SplitMode;
  ttlSeconds?: number;
  expiresAt?: string;
  title?: string;
}

export interface ClaimBody {
  claimId: string;
  payeeUserId?: string;
  payeeLogonId?: string;
  amount?: string;
}

const DEFAULT_TTL_SECONDS = 24 * 3600;
const MAX_TTL_SECONDS = 30 * 24 * 3600;

function fen(field: string, text: string): number {
  try {
    const value = parseAmount(text);
    if (value < 1) throw new AmountError('zero');
    return value;
  } catch {
    throw badRequest(
      field,
      `must be a yuan amount from 0.01 to ${MAX_AMOUNT_FEN / 100}.00 with at most two decimals`,
    );
  }
}

export interface DeploymentSettings {
  /** Where Alipay should send this deployment's refund notifications. */
  notifyUrl?: string;
  /** How long a packet waits for the refund notification before asking Alipay. */
  refundNotifyWaitMs?: number;
}

/** What a packet is, whoever pays for it: amount, split, shares, title and expiry. */
export interface PacketTerms {
  totalFen: number;
  split: SplitMode;
  shares?: number;
  title?: string;
  /** An absolute expiry, or a lifetime counted from when the packet opens (pay orders). */
  expiry: { expiresAt: string } | { ttlMs: number };
}

export function toPacketTerms(
  body: Pick<CreateBody, 'amount' | 'shares' | 'split' | 'ttlSeconds' | 'expiresAt' | 'title'>,
  now: Date,
): PacketTerms {
  const totalFen = fen('amount', body.amount);
  const split: SplitMode = body.split ?? (body.shares === undefined ? 'claimant' : 'random');
  if (split !== 'claimant' && body.shares === undefined)
    throw badRequest('shares', `is required for the ${split} split`);
  if (body.shares !== undefined && body.shares > totalFen) {
    throw badRequest('shares', 'must not exceed the amount in fen (every share gets at least 0.01)');
  }
  if (body.ttlSeconds !== undefined && body.expiresAt !== undefined) {
    throw badRequest('expiresAt', 'and ttlSeconds are exclusive: give one');
  }
  let expiry: PacketTerms['expiry'];
  if (body.expiresAt !== undefined) {
    const expiresAt = new Date(body.expiresAt);
    if (Number.isNaN(expiresAt.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(body.expiresAt)) {
      throw badRequest('expiresAt', 'must be an ISO 8601 date-time');
    }
    const seconds = (expiresAt.getTime() - now.getTime()) / 1000;
    if (seconds <= 0) throw badRequest('expiresAt', 'must be in the future');
    if (seconds > MAX_TTL_SECONDS) throw badRequest('expiresAt', 'must be within 30 days');
    expiry = { expiresAt: expiresAt.toISOString() };
  } else {
    expiry = { ttlMs: (body.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000 };
  }
  const title = body.title === undefined ? undefined : titleProblem(body.title);
  if (title) throw badRequest('title', title);
  return { totalFen, split, shares: body.shares, title: body.title, expiry };
}

export function toRedPacketInput(
  body: CreateBody,
  now: Date,
  settings: DeploymentSettings = {},
): RedPacketInput {
  if ((body.payOperationId === undefined) === (body.payOutRequestNo === undefined)) {
    throw badRequest('payOperationId', 'or payOutRequestNo names the pay to verify: give exactly one');
  }
  const funding: FundingReference =
    body.payOperationId !== undefined
      ? { payOperationId: body.payOperationId }
      : { payOutRequestNo: body.payOutRequestNo! };
  const { expiry, ...terms } = toPacketTerms(body, now);
  return {
    authNo: body.authNo,
    outOrderNo: body.outOrderNo,
    ...terms,
    funding,
    expiresAt:
      'expiresAt' in expiry ? expiry.expiresAt : new Date(now.getTime() + expiry.ttlMs).toISOString(),
    notifyUrl: settings.notifyUrl,
    refundNotifyWaitMs: settings.refundNotifyWaitMs,
  };
}

export function toClaimRequest(body: ClaimBody): ClaimRequest {
  if (body.payeeUserId !== undefined && body.payeeLogonId !== undefined) {
    throw badRequest('payeeLogonId', 'and payeeUserId are exclusive: give one');
  }
  if (body.payeeUserId === undefined && body.payeeLogonId === undefined) {
    throw badRequest('payeeUserId', 'or payeeLogonId is required');
  }
  const logon = body.payeeLogonId === undefined ? undefined : payeeLogonIdProblem(body.payeeLogonId);
  if (logon) throw badRequest('payeeLogonId', logon);
  return {
    claimId: body.claimId,
    payeeUserId: body.payeeUserId,
    payeeLogonId: body.payeeLogonId,
    amountFen: body.amount === undefined ? undefined : fen('amount', body.amount),
  };
}

/**
 * The create's identity for idempotency: the request as it was understood (amount in fen, the
 * split and lifetime defaults applied, an absolute expiry as an instant), so that `"1.0"` and
 * `"1.00"`, or naming the default split, are the same request. The raw form comes second: packets
 * created before this compare with it.
 */
export function createFingerprints(body: CreateBody, input: RedPacketInput): [string, string] {
  const expiry =
    body.expiresAt !== undefined
      ? { expiresAt: input.expiresAt }
      : { ttlSeconds: body.ttlSeconds ?? DEFAULT_TTL_SECONDS };
  const understood = {
    v: 2,
    authNo: input.authNo,
    outOrderNo: input.outOrderNo,
    funding: input.funding,
    totalFen: input.totalFen,
    split: input.split,
    shares: input.shares ?? null,
    title: input.title ?? null,
    ...expiry,
  };
  return [JSON.stringify(understood), fingerprint(body)];
}

/** The request's identity for idempotent creation: the same body gives the same fingerprint. */
export function fingerprint(body: object): string {
  const entries = Object.entries(body).filter(([, value]) => value !== undefined);
  return JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
}
