// One error class for every failed Alipay call, classified for retry decisions:
// transient: send the same request again; ambiguous: resolve by operation query; permanent: stop.

export type AlipayErrorKind = 'transient' | 'ambiguous' | 'permanent';

export interface AlipayErrorDetails {
  kind: AlipayErrorKind;
  method: string;
  code?: string;
  subCode?: string;
  subMsg?: string;
  httpStatus?: number;
  traceId?: string;
  cause?: unknown;
}

export class AlipayError extends Error {
  override name = 'AlipayError';
  readonly kind: AlipayErrorKind;
  readonly method: string;
  readonly code: string | undefined;
  readonly subCode: string | undefined;
  readonly subMsg: string | undefined;
  readonly httpStatus: number | undefined;
  readonly traceId: string | undefined;

  constructor(message: string, details: AlipayErrorDetails) {
    super(`${details.method}: ${message}`, { cause: details.cause });
    this.kind = details.kind;
    this.method = details.method;
    this.code = details.code;
    this.subCode = details.subCode;
    this.subMsg = details.subMsg;
    this.httpStatus = details.httpStatus;
    this.traceId = details.traceId;
  }
}

const TRANSIENT_SUB_CODES = ['SYSTEM_ERROR', 'isp.unknow-error', 'aop.ACQ.SYSTEM_ERROR'];
const AMBIGUOUS_SUB_CODES = ['UNIQUE_VIOLATION'];

function subCodeIs(subCode: string | undefined, known: readonly string[]): boolean {
  if (!subCode) return false;
  return known.some((candidate) => subCode === candidate || subCode.endsWith(`.${candidate}`));
}

/** Classifies a gateway answer whose `code` is not 10000. */
export function classifyFailure(code: string, subCode: string | undefined): AlipayErrorKind {
  // 40005: over Alipay's call limit for the app or method (isv.app-call-limited,
  // isv.method-call-limited); nothing was applied, so the same request is sent again later.
  if (code === '20000' || code === '40005') return 'transient';
  if (code === '40004') {
    if (subCodeIs(subCode, AMBIGUOUS_SUB_CODES)) return 'ambiguous';
    if (subCodeIs(subCode, TRANSIENT_SUB_CODES)) return 'transient';
  }
  // 20001, 40001, 40002, 40006 and every business refusal: sending it again changes nothing.
  return 'permanent';
}

/** Field rules broken before anything was sent. */
export class AlipayRequestError extends AlipayError {
  override name = 'AlipayRequestError';
  constructor(
    method: string,
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`, { kind: 'permanent', method, code: 'INVALID_REQUEST' });
  }
}
