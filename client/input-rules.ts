// The rules a packet's input and a claim must meet before anything is sent to Temporal, for the
// typed client and the HTTP API alike (the API checks the same rules first, to name the field).
import { MAX_AMOUNT_FEN } from '../alipay/money';
import { ALIPAY_TEXT_LIMITS, textProblem } from '../alipay/text';
import { REFUND_REMARK_SUFFIX } from '../workflows/refund-remark';
import { MAX_CLAIMS, type ClaimRequest, type RedPacketInput } from '../workflows/messages';
import { MAX_AUTH_NO_LENGTH } from '../workflows/request-numbers';

/** A field of a packet or a claim breaks a rule; `field` names it. */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

/** The title is the payouts' order_title and the start of the refund's remark: room for both. */
export const MAX_TITLE_LENGTH = ALIPAY_TEXT_LIMITS.remark - REFUND_REMARK_SUFFIX.length;

const AUTH_NO = new RegExp(`^[0-9A-Za-z]{1,${MAX_AUTH_NO_LENGTH}}$`);
const ORDER_NO = /^[0-9A-Za-z_-]{1,64}$/;
const USER_ID = /^2088\d{12}$/;

function fen(field: string, value: number | undefined, required: boolean): void {
  if (value === undefined) {
    if (required) throw new InvalidInputError(field, 'is required');
    return;
  }
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_AMOUNT_FEN)
    throw new InvalidInputError(field, `must be a whole number of fen from 1 to ${MAX_AMOUNT_FEN}`);
}

export function titleProblem(title: string): string | undefined {
  return textProblem(title, MAX_TITLE_LENGTH);
}

export function payeeLogonIdProblem(logonId: string): string | undefined {
  return textProblem(logonId, ALIPAY_TEXT_LIMITS.payee_logon_id);
}

export function checkRedPacketInput(input: RedPacketInput): void {
  if (!AUTH_NO.test(input.authNo))
    throw new InvalidInputError('authNo', `must be 1 to ${MAX_AUTH_NO_LENGTH} letters or digits`);
  if (!ORDER_NO.test(input.outOrderNo))
    throw new InvalidInputError('outOrderNo', 'must be 1 to 64 letters, digits, _ or -');
  fen('totalFen', input.totalFen, true);
  if (!['fixed', 'random', 'claimant'].includes(input.split))
    throw new InvalidInputError('split', 'must be fixed, random or claimant');
  if (input.shares !== undefined) {
    if (!Number.isSafeInteger(input.shares) || input.shares < 1 || input.shares > MAX_CLAIMS)
      throw new InvalidInputError('shares', `must be 1 to ${MAX_CLAIMS}`);
    if (input.shares > input.totalFen)
      throw new InvalidInputError('shares', 'must not exceed the amount in fen');
  } else if (input.split !== 'claimant') {
    throw new InvalidInputError('shares', `is required for the ${input.split} split`);
  }
  if (Number.isNaN(Date.parse(input.expiresAt)) || !/^\d{4}-\d{2}-\d{2}T/.test(input.expiresAt))
    throw new InvalidInputError('expiresAt', 'must be an ISO 8601 date-time');
  const title = input.title === undefined ? undefined : titleProblem(input.title);
  if (title) throw new InvalidInputError('title', title);
}

/**
 * What Alipay would refuse in a claim's payee. The rest (claimId, amount, a missing payee) the
 * packet answers with a refusal reason, as it always has for code callers.
 */
export function checkClaimRequest(request: ClaimRequest): void {
  if (request.payeeUserId !== undefined && !USER_ID.test(request.payeeUserId))
    throw new InvalidInputError('payeeUserId', 'must be 2088 and 12 digits');
  const logon = request.payeeLogonId === undefined ? undefined : payeeLogonIdProblem(request.payeeLogonId);
  if (logon) throw new InvalidInputError('payeeLogonId', logon);
}
