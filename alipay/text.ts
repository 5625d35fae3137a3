// Text fields as Alipay counts them (UTF-16 code units, as its Java servers do: an emoji is two),
// shared by the HTTP API, the typed client and the request builders, so that nothing accepted at
// the edge is refused by Alipay later.

/** Alipay's limits on the text fields we send. */
export const ALIPAY_TEXT_LIMITS = { order_title: 100, remark: 100, payee_logon_id: 100 } as const;

function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/** Why the text is not acceptable as an Alipay field of at most `max` characters, or undefined. */
export function textProblem(value: string, max: number): string | undefined {
  if (value.length === 0 || value.length > max)
    return `must be 1 to ${max} characters (as Alipay counts them: an emoji is two)`;
  for (let i = 0; i < value.length; i++)
    if (isControl(value.charCodeAt(i))) return 'must not contain control characters';
  return undefined;
}
