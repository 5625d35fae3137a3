// Text fields as Alipay counts them (UTF-16 code units, as its Java servers do: an emoji is two),
// shared by the HTTP API, the typed client, the workflows and the request builders, so that
// nothing accepted at the edge is refused by Alipay later. Pure: workflow code may import it.

/** Alipay's limits on the text fields we send. */
export const ALIPAY_TEXT_LIMITS = { order_title: 100, remark: 100, payee_logon_id: 100 } as const;

/** The refund's remark is the packet's title and this: the title must leave room for it. */
export const REFUND_REMARK_SUFFIX = ': unclaimed remainder';
export const MAX_TITLE_LENGTH = ALIPAY_TEXT_LIMITS.remark - REFUND_REMARK_SUFFIX.length;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Why the text is not acceptable as an Alipay field of at most `max` characters, or undefined. */
export function textProblem(value: string, max: number): string | undefined {
  if (value.length === 0 || value.length > max)
    return `must be 1 to ${max} characters (as Alipay counts them: an emoji is two)`;
  if (CONTROL.test(value)) return 'must not contain control characters';
  return undefined;
}

export function refundRemark(title: string | undefined): string {
  return `${title ?? 'Red packet'}${REFUND_REMARK_SUFFIX}`;
}
