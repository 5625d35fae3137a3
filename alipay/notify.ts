// Alipay's asynchronous notifications: verification over decoded values, then a typed result.
import type { KeyObject } from 'node:crypto';
import { AmountError, parseAmount, type Fen } from './money';
import { buildSignContent, verifyRsa2 } from './sign';

export type NotifyParams = Readonly<Record<string, string>>;

export const REFUND_SUCCESS_NOTIFY_TYPE = 'fund_stdtrustee_refund.success';

export interface FundNotification {
  notifyType: string;
  notifyId: string;
  notifyTime?: string;
  appId?: string;
  authNo?: string;
  outOrderNo?: string;
  operationId?: string;
  outRequestNo?: string;
  operationType?: string;
  amount?: Fen;
  status?: string;
  gmtCreate?: string;
  gmtTrans?: string;
  payerLogonId?: string;
  payerUserId?: string;
}

export type NotifyRejection =
  'missing-signature' | 'unsupported-sign-type' | 'bad-signature' | 'missing-field' | 'bad-amount';

export type NotifyVerification =
  { ok: true; notification: FundNotification } | { ok: false; reason: NotifyRejection; detail: string };

/**
 * Decodes a form body or a query string exactly once (`+` is a space, `%xx` a byte).
 * A repeated field makes the body malformed rather than silently picking one value.
 */
export function parseFormEncoded(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text.startsWith('?') ? text.slice(1) : text)) {
    if (Object.hasOwn(params, key)) throw new Error(`field ${key} appears twice`);
    params[key] = value;
  }
  return params;
}

/** Real notifications carry the literal `null` for absent fields. */
function present(params: NotifyParams, key: string): string | undefined {
  const value = params[key];
  return value === undefined || value === '' || value === 'null' ? undefined : value;
}

function reject(reason: NotifyRejection, detail: string): NotifyVerification {
  return { ok: false, reason, detail };
}

/** Verifies a decoded notification with the Alipay public key; fails closed. */
export function verifyNotification(params: NotifyParams, alipayPublicKey: KeyObject): NotifyVerification {
  const signature = present(params, 'sign');
  if (!signature) return reject('missing-signature', 'no sign field');
  const signType = present(params, 'sign_type') ?? 'RSA2';
  if (signType !== 'RSA2') return reject('unsupported-sign-type', `sign_type ${signType}`);
  const content = buildSignContent(params, ['sign', 'sign_type']);
  if (!verifyRsa2(content, signature, alipayPublicKey))
    return reject('bad-signature', 'signature does not verify');

  const notifyType = present(params, 'notify_type');
  const notifyId = present(params, 'notify_id');
  if (!notifyType || !notifyId) return reject('missing-field', 'notify_type and notify_id are required');
  const amountText = present(params, 'amount');
  let amount: Fen | undefined;
  try {
    amount = amountText === undefined ? undefined : parseAmount(amountText);
  } catch (error) {
    return reject('bad-amount', error instanceof AmountError ? error.message : 'unreadable amount');
  }
  return {
    ok: true,
    notification: {
      notifyType,
      notifyId,
      notifyTime: present(params, 'notify_time'),
      appId: present(params, 'app_id'),
      authNo: present(params, 'auth_no'),
      outOrderNo: present(params, 'out_order_no'),
      operationId: present(params, 'operation_id'),
      outRequestNo: present(params, 'out_request_no'),
      operationType: present(params, 'operation_type'),
      amount,
      status: present(params, 'status'),
      gmtCreate: present(params, 'gmt_create'),
      gmtTrans: present(params, 'gmt_trans'),
      payerLogonId: present(params, 'payer_logon_id'),
      payerUserId: present(params, 'payer_user_id'),
    },
  };
}
