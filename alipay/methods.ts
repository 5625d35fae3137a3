// Typed calls for the red packet methods, with the field rules of the coupon API.
import type { AlipayTransport } from './gateway';
import { AlipayError, AlipayRequestError } from './errors';
import { formatFen, MAX_AMOUNT_FEN, parseAmount, type Fen } from './money';
import { splitForTransport, type RequestExtras } from './request';
import type { ResponseNode } from './response';

export const METHODS = {
  appPay: 'alipay.fund.coupon.order.app.pay',
  pagePay: 'alipay.fund.coupon.order.page.pay',
  agreementPay: 'alipay.fund.coupon.order.agreement.pay',
  disburse: 'alipay.fund.coupon.order.disburse',
  refund: 'alipay.fund.coupon.order.refund',
  operationQuery: 'alipay.fund.coupon.operation.query',
} as const;

export type OperationStatus = 'INIT' | 'SUCCESS' | 'CLOSED';

export interface FundOperation {
  authNo: string;
  outOrderNo: string;
  operationId: string;
  outRequestNo: string;
  amount: Fen;
  status: OperationStatus;
  gmtTrans?: string;
}

export interface QueriedOperation extends FundOperation {
  operationType?: string;
  gmtCreate?: string;
  orderTitle?: string;
  remark?: string;
  totalPayRefundAmount?: Fen;
  payeeUserId?: string;
  payeeLogonId?: string;
}

export interface PayRequest {
  outOrderNo: string;
  outRequestNo: string;
  orderTitle: string;
  amount: Fen;
  /** e.g. "30m", "1h", "7d"; Alipay's default is 1h. */
  payTimeout?: string;
  extraParam?: string;
}

export interface AgreementPayRequest extends PayRequest {
  payerUserId: string;
}

export interface DisburseRequest {
  outOrderNo: string;
  /** The pay's auth_no (preferred) or, failing that, its out_order_no. */
  deductAuthNo?: string;
  deductOutOrderNo?: string;
  outRequestNo: string;
  orderTitle: string;
  amount: Fen;
  payeeUserId?: string;
  payeeLogonId?: string;
  payTimeout?: string;
  extraParam?: string;
}

export interface RefundRequest {
  authNo: string;
  outRequestNo: string;
  amount: Fen;
  remark: string;
}

export type OperationQuery =
  { authNo: string; operationId: string } | { outOrderNo: string; outRequestNo: string };

// --- field rules (lengths in UTF-16 units, as alipay/text.ts counts) ---------------------------------------------------------------------------

type Biz = Record<string, string>;

function text(method: string, biz: Biz, field: string, value: string | undefined, max = 64): void {
  if (value === undefined) return;
  // Length only: control characters are refused at the edge (client/input-rules.ts), so packets
  // registered before that rule still pay out and refund.
  if (value.length === 0 || value.length > max)
    throw new AlipayRequestError(method, field, `must be 1 to ${max} characters`);
  biz[field] = value;
}

function required(method: string, biz: Biz, field: string, value: string | undefined, max = 64): void {
  if (value === undefined) throw new AlipayRequestError(method, field, 'is required');
  text(method, biz, field, value, max);
}

function amount(method: string, biz: Biz, value: Fen): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_AMOUNT_FEN) {
    throw new AlipayRequestError(method, 'amount', 'must be 0.01 to 100000000.00');
  }
  biz.amount = formatFen(value);
}

const PAY_TIMEOUT = /^(?:[1-9]\d*)(?:m|h|d)$/;
const MINUTES = { m: 1, h: 60, d: 1440 } as const;

function payTimeout(method: string, biz: Biz, value: string | undefined): void {
  if (value === undefined) return;
  const unit = value.slice(-1) as keyof typeof MINUTES;
  const minutes = PAY_TIMEOUT.test(value) ? Number(value.slice(0, -1)) * MINUTES[unit] : 0;
  if (minutes < 1 || minutes > 7 * 1440)
    throw new AlipayRequestError(method, 'pay_timeout', 'must be 1m to 7d');
  biz.pay_timeout = value;
}

function payBiz(method: string, request: PayRequest): Biz {
  const biz: Biz = {};
  required(method, biz, 'out_order_no', request.outOrderNo);
  required(method, biz, 'out_request_no', request.outRequestNo);
  required(method, biz, 'order_title', request.orderTitle, 100);
  amount(method, biz, request.amount);
  payTimeout(method, biz, request.payTimeout);
  text(method, biz, 'extra_param', request.extraParam, 1024);
  return biz;
}

// --- response reading ----------------------------------------------------------------------

function field(method: string, node: ResponseNode, name: string): string {
  const value = node[name];
  if (typeof value !== 'string' || value === '') {
    throw new AlipayError(`response lacks ${name}`, { kind: 'transient', method });
  }
  return value;
}

function optionalField(node: ResponseNode, name: string): string | undefined {
  const value = node[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function operationFrom(method: string, node: ResponseNode): FundOperation {
  const status = field(method, node, 'status');
  if (status !== 'INIT' && status !== 'SUCCESS' && status !== 'CLOSED') {
    throw new AlipayError(`unknown status ${status}`, { kind: 'transient', method });
  }
  return {
    authNo: field(method, node, 'auth_no'),
    outOrderNo: field(method, node, 'out_order_no'),
    operationId: field(method, node, 'operation_id'),
    outRequestNo: field(method, node, 'out_request_no'),
    amount: parseAmount(field(method, node, 'amount')),
    status,
    gmtTrans: optionalField(node, 'gmt_trans'),
  };
}

// --- the methods ---------------------------------------------------------------------------

export async function agreementPay(
  gateway: AlipayTransport,
  request: AgreementPayRequest,
  extras: RequestExtras = {},
): Promise<FundOperation> {
  const method = METHODS.agreementPay;
  const biz = payBiz(method, request);
  required(method, biz, 'payer_user_id', request.payerUserId, 28);
  return operationFrom(method, await gateway.execute(method, biz, extras));
}

/** The signed order string the Alipay app SDK takes (no network call). */
export function appPayOrderString(
  gateway: AlipayTransport,
  request: PayRequest,
  extras: RequestExtras = {},
): string {
  const params = gateway.sign(METHODS.appPay, payBiz(METHODS.appPay, request), extras);
  return new URLSearchParams(params).toString();
}

export interface PagePayTarget {
  /** A GET URL that opens Alipay's cashier. */
  url: string;
  /** An HTML form that submits itself to the gateway. */
  form: string;
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function pagePay(
  gateway: AlipayTransport,
  request: PayRequest,
  extras: RequestExtras = {},
): PagePayTarget {
  const params = gateway.sign(METHODS.pagePay, payBiz(METHODS.pagePay, request), extras);
  const url = `${gateway.gatewayUrl}?${new URLSearchParams(params).toString()}`;
  const { query, body } = splitForTransport(params);
  const action = `${gateway.gatewayUrl}?${query.toString()}`;
  const inputs = [...body]
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const form =
    `<form id="alipay-page-pay" action="${escapeHtml(action)}" method="post">${inputs}</form>` +
    `<script>document.getElementById('alipay-page-pay').submit();</script>`;
  return { url, form };
}

export async function disburse(gateway: AlipayTransport, request: DisburseRequest): Promise<FundOperation> {
  const method = METHODS.disburse;
  const biz: Biz = {};
  required(method, biz, 'out_order_no', request.outOrderNo);
  if (request.deductAuthNo !== undefined) required(method, biz, 'deduct_auth_no', request.deductAuthNo);
  else required(method, biz, 'deduct_out_order_no', request.deductOutOrderNo);
  required(method, biz, 'out_request_no', request.outRequestNo);
  required(method, biz, 'order_title', request.orderTitle, 100);
  amount(method, biz, request.amount);
  if (request.payeeUserId !== undefined) {
    if (!/^2088\d{12}$/.test(request.payeeUserId)) {
      throw new AlipayRequestError(method, 'payee_user_id', 'must be 2088 followed by 12 digits');
    }
    biz.payee_user_id = request.payeeUserId;
  } else {
    required(method, biz, 'payee_logon_id', request.payeeLogonId, 100);
  }
  payTimeout(method, biz, request.payTimeout);
  text(method, biz, 'extra_param', request.extraParam, 1024);
  return operationFrom(method, await gateway.execute(method, biz));
}

export async function refund(
  gateway: AlipayTransport,
  request: RefundRequest,
  extras: RequestExtras = {},
): Promise<FundOperation> {
  const method = METHODS.refund;
  const biz: Biz = {};
  required(method, biz, 'auth_no', request.authNo);
  required(method, biz, 'out_request_no', request.outRequestNo);
  amount(method, biz, request.amount);
  required(method, biz, 'remark', request.remark, 100);
  return operationFrom(method, await gateway.execute(method, biz, extras));
}

export async function queryOperation(
  gateway: AlipayTransport,
  query: OperationQuery,
): Promise<QueriedOperation> {
  const method = METHODS.operationQuery;
  const biz: Biz = {};
  if ('operationId' in query) {
    required(method, biz, 'auth_no', query.authNo);
    required(method, biz, 'operation_id', query.operationId);
  } else {
    required(method, biz, 'out_order_no', query.outOrderNo);
    required(method, biz, 'out_request_no', query.outRequestNo);
  }
  const node = await gateway.execute(method, biz);
  const total = optionalField(node, 'total_pay_refund_amount');
  return {
    ...operationFrom(method, node),
    operationType: optionalField(node, 'operation_type'),
    gmtCreate: optionalField(node, 'gmt_create'),
    orderTitle: optionalField(node, 'order_title'),
    remark: optionalField(node, 'remark'),
    totalPayRefundAmount: total === undefined ? undefined : parseAmount(total),
    payeeUserId: optionalField(node, 'payee_user_id'),
    payeeLogonId: optionalField(node, 'payee_logon_id'),
  };
}
