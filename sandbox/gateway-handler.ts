// POST /gateway.do: checks a request the way Alipay does, applies it to the ledger, answers
// signed, and schedules the notifications it causes. Faults are applied here.
import type { CallLimiter } from './call-limits';
import { setTimeout as sleep } from 'node:timers/promises';
import { AmountError, formatFen, MAX_AMOUNT_FEN, parseAmount, type Fen } from '../alipay/money';
import { BILL_DOWNLOAD_URL_METHOD, isBillDate, SIGNCUSTOMER } from '../alipay/bill';
import { METHODS } from '../alipay/methods';
import { responseNodeName } from '../alipay/response';
import { REFUND_SUCCESS_NOTIFY_TYPE } from '../alipay/notify';
import { buildSignContent, verifyRsa2 } from '../alipay/sign';
import { alipayTimestamp } from '../alipay/timestamp';
import type { Faults, MethodFaults } from './faults';
import type { SandboxKeys } from './key-files';
import { BillNotReady, type BillDownloads } from './bill';
import { Ledger, LedgerRefusal, type Operation, type Packet } from './ledger';
import type { Notifier } from './notifier';
import { RequestLog } from './request-log';
import { failure, success, type Signer } from './responses';

export const PAY_NOTIFY_TYPE = 'trade_status_sync';

export type GatewayOutcome = { kind: 'answer'; body: string } | { kind: 'hang' };

export interface SandboxGatewayDeps {
  keys: SandboxKeys;
  ledger: Ledger;
  notifier: Notifier;
  faults: Faults;
  callLimits: CallLimiter;
  /** Multiplies packet lifetimes (and the notifier's retry delays) for tests. */
  timeScale: number;
  /** Alipay refunds a packet's balance itself after this long: 48 hours by default. */
  defaultLifetimeMs: number;
  /** The daily bills and their download links. */
  bills: BillDownloads;
  /** Where a bill's download link points: the sandbox's own URL, known once it listens. */
  billLinkBase: () => string;
}

type Params = Record<string, string>;
type Biz = Record<string, unknown>;

const KNOWN_METHODS = new Set<string>([...Object.values(METHODS), BILL_DOWNLOAD_URL_METHOD]);
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const REQUIRED_COMMON = [
  ['app_id', 'isv.missing-app-id'],
  ['method', 'isv.missing-method'],
  ['sign', 'isv.missing-signature'],
  ['sign_type', 'isv.missing-signature-type'],
  ['timestamp', 'isv.missing-timestamp'],
  ['version', 'isv.missing-version'],
] as const;

/** A request Alipay would refuse before looking at the business: answered, never applied. */
class Refused extends Error {
  constructor(
    readonly code: '40001' | '40002' | '40004' | '20000',
    readonly subCode: string,
    readonly subMsg: string,
  ) {
    super(subMsg);
  }
}

function text(biz: Biz, field: string, max = 64): string | undefined {
  const value = biz[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw new Refused(
      '40002',
      'isv.invalid-parameter',
      `${field} must be a string of at most ${max} characters`,
    );
  }
  return value;
}

function required(biz: Biz, field: string, max = 64): string {
  const value = text(biz, field, max);
  if (value === undefined)
    throw new Refused('40001', `isv.missing-${field.replaceAll('_', '-')}`, `${field} is required`);
  return value;
}

function amountOf(biz: Biz): Fen {
  const raw = biz.amount;
  try {
    const fen = parseAmount(typeof raw === 'number' ? raw.toFixed(2) : String(required(biz, 'amount')));
    if (fen < 1 || fen > MAX_AMOUNT_FEN) throw new AmountError('out of range');
    return fen;
  } catch (error) {
    if (error instanceof Refused) throw error;
    throw new Refused(
      '40002',
      'isv.invalid-parameter',
      'amount must be 0.01 to 100000000.00 with two decimals',
    );
  }
}

const DURATION = /^(\d+)(m|h|d)$/;
function durationMs(value: string): number | undefined {
  const match = DURATION.exec(value);
  if (!match) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

function operationFields(operation: Operation): Record<string, string> {
  const fields: Record<string, string> = {
    auth_no: operation.authNo,
    out_order_no: operation.outOrderNo,
    operation_id: operation.operationId,
    out_request_no: operation.outRequestNo,
    amount: formatFen(operation.amount),
    status: operation.status,
  };
  if (operation.gmtTrans) fields.gmt_trans = alipayTimestamp(operation.gmtTrans);
  return fields;
}

export class SandboxGateway {
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  readonly requests = new RequestLog();

  constructor(private readonly deps: SandboxGatewayDeps) {}

  async handle(params: Params): Promise<GatewayOutcome> {
    const outcome = await this.process(params);
    this.requests.record(params, outcome.kind === 'answer' ? outcome.body : undefined);
    return outcome;
  }

  private async process(params: Params): Promise<GatewayOutcome> {
    const method = params.method ?? '';
    const signer: Signer = {
      alipayPrivateKey: this.deps.keys.alipayPrivateKey,
      alipayCertSn: params.app_cert_sn ? this.deps.keys.alipayCertSn : undefined,
    };
    const nodeName = KNOWN_METHODS.has(method) ? responseNodeName(method) : 'error_response';
    let biz: Biz;
    try {
      biz = this.checkCommon(params);
    } catch (error) {
      if (error instanceof Refused)
        return this.answer(failure(nodeName, error.code, error.subCode, error.subMsg, signer));
      throw error;
    }

    if (!this.deps.callLimits.take(method)) {
      return this.answer(failure(nodeName, '40005', 'isv.method-call-limited', '调用频次超限', signer));
    }
    const faults = this.deps.faults.forMethod(method);
    if (faults.latencyMs) await sleep(faults.latencyMs);
    if (this.deps.faults.roll(faults.hangRate)) return { kind: 'hang' };
    const payee = biz.payee_user_id ?? biz.payee_logon_id;
    if (typeof payee === 'string' && faults.hangPayees?.includes(payee)) return { kind: 'hang' };
    if (this.deps.faults.roll(faults.lateApplyRate)) {
      const timer = setTimeout(() => {
        this.pendingTimers.delete(timer);
        try {
          // Applied as it would have been; a second copy of one request is refused as Alipay would.
          for (const notify of this.apply(method, biz, params).notifications) void notify();
        } catch {
          // Refused when it lands (a repeat, no balance left): as lost as its answer.
        }
      }, faults.lateApplyMs ?? 5000);
      this.pendingTimers.add(timer);
      return { kind: 'hang' };
    }
    if (this.deps.faults.roll(faults.unavailableRate)) {
      return this.answer(failure(nodeName, '20000', 'isp.unknow-error', '服务暂不可用', signer));
    }
    if (this.deps.faults.roll(faults.systemErrorRate)) {
      return this.answer(failure(nodeName, '40004', 'SYSTEM_ERROR', '系统繁忙', signer));
    }
    if (this.deps.faults.roll(faults.refuseRate)) {
      const subCode = faults.refuseSubCode ?? 'PAYEE_ACCOUNT_STATUS_ERROR';
      return this.answer(failure(nodeName, '40004', subCode, 'refused by a sandbox fault', signer));
    }

    const pending =
      (method === METHODS.disburse || method === METHODS.refund) && this.deps.faults.roll(faults.pendingRate);
    let body: string;
    let notifications: Array<() => Promise<void>> = [];
    try {
      const applied = this.apply(method, biz, params, pending);
      if (pending) this.finishLater(applied.operation, faults, params.notify_url);
      body = success(method, applied.fields, signer);
      notifications = applied.notifications;
    } catch (error) {
      if (error instanceof Refused) body = failure(nodeName, error.code, error.subCode, error.subMsg, signer);
      else if (error instanceof LedgerRefusal)
        body = failure(nodeName, '40004', error.subCode, error.subMsg, signer);
      else throw error;
    }

    const sendAll = (): Promise<unknown> => Promise.all(notifications.map((notify) => notify()));
    const early = this.deps.faults.roll(this.deps.faults.notify().earlyRate);
    // An early notification is delivered (its first attempt answered) before the response leaves.
    if (early) await sendAll();
    if (this.deps.faults.roll(faults.lostResponseRate)) {
      if (!early) void sendAll();
      return { kind: 'hang' };
    }
    // Alipay notifies after it answered: let the response leave first.
    if (!early) setImmediate(() => void sendAll());
    return this.answer(body);
  }

  private answer(body: string): GatewayOutcome {
    return { kind: 'answer', body };
  }

  private checkCommon(params: Params): Biz {
    for (const [field, subCode] of REQUIRED_COMMON) {
      if (!params[field]) throw new Refused('40001', subCode, `${field} is required`);
    }
    if (params.app_id !== this.deps.keys.appId)
      throw new Refused('40002', 'isv.invalid-app-id', 'unknown app_id');
    if (!KNOWN_METHODS.has(params.method!))
      throw new Refused('40002', 'isv.invalid-method', 'unknown method');
    if (params.sign_type !== 'RSA2')
      throw new Refused('40002', 'isv.invalid-signature-type', 'sign_type must be RSA2');
    if (!TIMESTAMP.test(params.timestamp!))
      throw new Refused('40002', 'isv.invalid-timestamp', 'bad timestamp');
    if (params.app_cert_sn !== undefined && params.app_cert_sn !== this.deps.keys.appCertSn) {
      throw new Refused(
        '40002',
        'isv.app-cert-sn-invalid',
        'app_cert_sn does not match the registered certificate',
      );
    }
    if (params.app_cert_sn !== undefined && params.alipay_root_cert_sn !== this.deps.keys.alipayRootCertSn) {
      throw new Refused('40002', 'isv.alipay-root-cert-sn-invalid', 'alipay_root_cert_sn does not match');
    }
    if (!verifyRsa2(buildSignContent(params), params.sign!, this.deps.keys.appPublicKey)) {
      throw new Refused(
        '40002',
        'isv.invalid-signature',
        '验签出错: the signature does not match the app public key',
      );
    }
    try {
      const biz: unknown = JSON.parse(params.biz_content ?? '');
      if (typeof biz !== 'object' || biz === null || Array.isArray(biz)) throw new Error('not an object');
      return biz as Biz;
    } catch {
      throw new Refused('40002', 'isv.invalid-parameter', 'biz_content must be a JSON object');
    }
  }

  /** The `pending` fault: the INIT operation ends after `pendingMs`, as `pendingOutcome` says. */
  private finishLater(operation: Operation | undefined, faults: MethodFaults, notifyUrl?: string): void {
    if (!operation) return;
    const timer = setTimeout(() => {
      this.pendingTimers.delete(timer);
      try {
        const ended = this.deps.ledger.finishPending(
          operation.operationId,
          faults.pendingOutcome ?? 'SUCCESS',
        );
        if (ended.operation.status === 'SUCCESS' && ended.operation.operationType === 'REFUND' && notifyUrl)
          void this.notifyRefund(notifyUrl, ended.operation);
        const payNotifyUrl = this.deps.ledger.packet(operation.authNo).payNotifyUrl;
        if (ended.automaticRefund && payNotifyUrl)
          void this.notifyRefund(payNotifyUrl, ended.automaticRefund, { automatic: true });
      } catch (error) {
        console.error(`sandbox: ending ${operation.operationId} failed: ${String(error)}`);
      }
    }, faults.pendingMs ?? 5000);
    timer.unref();
    this.pendingTimers.add(timer);
  }

  private apply(
    method: string,
    biz: Biz,
    params: Params,
    pending = false,
  ): {
    fields: Record<string, string>;
    notifications: Array<() => Promise<void>>;
    operation?: Operation;
  } {
    const ledger = this.deps.ledger;
    switch (method) {
      case METHODS.agreementPay:
      case METHODS.appPay:
      case METHODS.pagePay: {
        const lifetimeMs = this.lifetime(biz);
        const { packet, operation } = ledger.pay(
          {
            outOrderNo: required(biz, 'out_order_no'),
            outRequestNo: required(biz, 'out_request_no'),
            orderTitle: required(biz, 'order_title', 100),
            amount: amountOf(biz),
            payerUserId: method === METHODS.agreementPay ? required(biz, 'payer_user_id', 28) : undefined,
            notifyUrl: params.notify_url,
            lifetimeMs,
          },
          method === METHODS.agreementPay,
        );
        if (packet.status === 'OPEN') this.scheduleExpiry(packet, lifetimeMs);
        return { fields: operationFields(operation), notifications: [] };
      }
      case METHODS.disburse: {
        const operation = ledger.disburse(
          {
            authNo: text(biz, 'deduct_auth_no'),
            payOutOrderNo: text(biz, 'deduct_out_order_no'),
            outOrderNo: required(biz, 'out_order_no'),
            outRequestNo: required(biz, 'out_request_no'),
            orderTitle: required(biz, 'order_title', 100),
            amount: amountOf(biz),
            ...this.payee(biz),
          },
          { pending },
        );
        return { fields: operationFields(operation), notifications: [], operation };
      }
      case METHODS.refund: {
        const operation = ledger.refund(
          {
            authNo: required(biz, 'auth_no'),
            outRequestNo: required(biz, 'out_request_no'),
            amount: amountOf(biz),
            remark: required(biz, 'remark', 100),
          },
          { pending },
        );
        const url = params.notify_url;
        return {
          fields: operationFields(operation),
          notifications: url && !pending ? [() => this.notifyRefund(url, operation)] : [],
          operation,
        };
      }
      case METHODS.operationQuery: {
        const operationId = text(biz, 'operation_id');
        const operation = operationId
          ? ledger.findOperation({ authNo: required(biz, 'auth_no'), operationId })
          : ledger.findOperation({
              outOrderNo: required(biz, 'out_order_no'),
              outRequestNo: required(biz, 'out_request_no'),
            });
        return { fields: this.queryFields(operation), notifications: [] };
      }
      case BILL_DOWNLOAD_URL_METHOD: {
        if (required(biz, 'bill_type') !== SIGNCUSTOMER)
          throw new Refused('40004', 'isv.invalid-bill-type', 'the sandbox serves signcustomer bills only');
        const day = required(biz, 'bill_date');
        if (!isBillDate(day))
          throw new Refused('40004', 'isv.invalid-bill-date', 'bill_date must be yyyy-MM-dd');
        try {
          const token = this.deps.bills.issue(day);
          return {
            fields: { bill_download_url: `${this.deps.billLinkBase()}/sandbox/bills/${token}.zip` },
            notifications: [],
          };
        } catch (error) {
          if (error instanceof BillNotReady) throw new Refused('40004', 'isp.bill_not_exist', '账单不存在');
          throw error;
        }
      }
      default:
        throw new Refused('40002', 'isv.invalid-method', 'unknown method');
    }
  }

  private payee(biz: Biz): { payeeUserId?: string; payeeLogonId?: string } {
    const payeeUserId = text(biz, 'payee_user_id');
    if (payeeUserId !== undefined) {
      if (!/^2088\d{12}$/.test(payeeUserId))
        throw new Refused('40002', 'isv.invalid-parameter', 'bad payee_user_id');
      return { payeeUserId };
    }
    return { payeeLogonId: required(biz, 'payee_logon_id', 100) };
  }

  private queryFields(operation: Operation): Record<string, string> {
    const packet = this.deps.ledger.packet(operation.authNo);
    const fields: Record<string, string> = {
      ...operationFields(operation),
      operation_type: operation.operationType,
      gmt_create: alipayTimestamp(operation.gmtCreate),
      total_pay_refund_amount: formatFen(packet.refunded),
    };
    if (operation.orderTitle) fields.order_title = operation.orderTitle;
    if (operation.remark) fields.remark = operation.remark;
    if (operation.payerUserId) fields.payer_user_id = operation.payerUserId;
    if (operation.payeeUserId) fields.payee_user_id = operation.payeeUserId;
    if (operation.payeeLogonId) fields.payee_logon_id = operation.payeeLogonId;
    return fields;
  }

  private lifetime(biz: Biz): number {
    const extra = text(biz, 'extra_param', 1024);
    if (extra) {
      let merchantExt: unknown;
      try {
        merchantExt = (JSON.parse(extra) as { merchantExt?: unknown }).merchantExt;
      } catch {
        throw new Refused('40002', 'isv.invalid-parameter', 'extra_param must be a JSON string');
      }
      const match = typeof merchantExt === 'string' ? /orderExpiredTime=(\w+)/.exec(merchantExt) : null;
      const ms = match ? durationMs(match[1]!) : undefined;
      if (ms !== undefined) return ms;
    }
    return this.deps.defaultLifetimeMs;
  }

  /** The user pays an app/page pay order; the pay notification goes to that call's notify_url. */
  completePayment(authNo: string): Packet {
    const packet = this.deps.ledger.packet(authNo);
    const lifetimeMs = this.deps.defaultLifetimeMs;
    const operation = this.deps.ledger.completePayment(authNo, lifetimeMs);
    this.scheduleExpiry(packet, lifetimeMs);
    if (packet.payNotifyUrl) {
      this.deps.notifier.send(packet.payNotifyUrl, {
        notify_type: PAY_NOTIFY_TYPE,
        app_id: this.deps.keys.appId,
        ...operationFields(operation),
        operation_type: 'PAY',
        gmt_create: alipayTimestamp(operation.gmtCreate),
      });
    }
    return packet;
  }

  private scheduleExpiry(packet: Packet, lifetimeMs: number): void {
    const timer = setTimeout(() => {
      this.pendingTimers.delete(timer);
      this.expire(packet.authNo);
    }, lifetimeMs * this.deps.timeScale);
    timer.unref();
    this.pendingTimers.add(timer);
  }

  /** Alipay's automatic refund at expiry, reported to the pay call's notify_url. */
  expire(authNo: string): Operation | undefined {
    const packet = this.deps.ledger.packet(authNo);
    const operation = this.deps.ledger.expire(authNo);
    if (operation && packet.payNotifyUrl)
      this.notifyRefund(packet.payNotifyUrl, operation, { automatic: true });
    return operation;
  }

  /** Alipay's automatic refund carries no out_request_no: no merchant request caused it. */
  private notifyRefund(
    url: string,
    operation: Operation,
    { automatic } = { automatic: false },
  ): Promise<void> {
    const { out_request_no: outRequestNo, ...fields } = operationFields(operation);
    return this.deps.notifier.send(url, {
      notify_type: REFUND_SUCCESS_NOTIFY_TYPE,
      app_id: this.deps.keys.appId,
      ...fields,
      ...(automatic ? {} : { out_request_no: outRequestNo! }),
      operation_type: 'REFUND',
      gmt_create: alipayTimestamp(operation.gmtCreate),
    }).firstAttempt;
  }

  stop(): void {
    for (const timer of this.pendingTimers) clearTimeout(timer);
    this.pendingTimers.clear();
  }
}
