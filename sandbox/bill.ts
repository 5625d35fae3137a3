// The sandbox's daily account bill (`signcustomer`), built from its ledger as Alipay builds it:
// a ZIP holding a detail CSV and a summary CSV, GBK-encoded, each table between `#` lines and
// its values padded with a tab. The merchant's balance pays red packets (agreement pay: 支出)
// and gets back what is refunded (收入); payouts move money out of the packet, not out of the
// merchant's balance, so they are not lines of this bill (our reconciliation checks them by
// query). Reading of Alipay's format: the columns of the issue and of public parsers; the real
// file may differ in details, which the parser tolerates (headers matched by prefix).
import { randomBytes } from 'node:crypto';
import { zipSync } from 'fflate';
import iconv from 'iconv-lite';
import { formatFen, parseAmount, type Fen } from '../alipay/money';
import { alipayTimestamp } from '../alipay/timestamp';
import type { Operation, Packet } from './ledger';

const HEADER = [
  '账务流水号',
  '业务流水号',
  '商户订单号',
  '商品名称',
  '发生时间',
  '对方账号',
  '收入金额（+元）',
  '支出金额（-元）',
  '账户余额（元）',
  '交易渠道',
  '业务类型',
  '备注',
];

/** The merchant's balance before the day's first line (the sandbox's merchant is well funded). */
const OPENING_BALANCE_FEN: Fen = 100_000_000;

/** `yyyy-MM-dd` in Beijing time. */
export function beijingDay(at: Date): string {
  return alipayTimestamp(at).slice(0, 10);
}

export interface BillEntry {
  operation: Operation;
  incomeFen: Fen;
  expenseFen: Fen;
}

/** The day's lines: settled pays and refunds whose transaction time falls on that Beijing day. */
export function billEntries(packets: Packet[], day: string): BillEntry[] {
  return packets
    .flatMap((packet) => packet.operations)
    .filter(
      (operation) =>
        operation.status === 'SUCCESS' &&
        operation.operationType !== 'DISBURSE' &&
        beijingDay(operation.gmtTrans ?? operation.gmtCreate) === day,
    )
    .sort((a, b) => (a.gmtTrans ?? a.gmtCreate).getTime() - (b.gmtTrans ?? b.gmtCreate).getTime())
    .map((operation) =>
      operation.operationType === 'PAY'
        ? { operation, incomeFen: 0, expenseFen: operation.amount }
        : { operation, incomeFen: operation.amount, expenseFen: 0 },
    );
}

function row(fields: string[]): string {
  // Alipay pads values with a tab (spreadsheets then keep long numbers as text).
  return fields
    .map((field) => (/[",\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : `${field}\t`))
    .join(',');
}

/** The ZIP Alipay's download URL serves for `signcustomer` on `day` (yyyy-MM-dd). */
export function signcustomerBillZip(entries: BillEntry[], day: string, accountId: string): Uint8Array {
  const compact = day.replaceAll('-', '');
  let balance = OPENING_BALANCE_FEN;
  const lines = entries.map(({ operation, incomeFen, expenseFen }, index) => {
    balance += incomeFen - expenseFen;
    return row([
      `${compact}${String(index + 1).padStart(8, '0')}`,
      operation.operationId,
      operation.outRequestNo,
      operation.orderTitle ?? operation.remark ?? '',
      alipayTimestamp(operation.gmtTrans ?? operation.gmtCreate),
      operation.payeeUserId ?? operation.payerUserId ?? '',
      incomeFen ? formatFen(incomeFen) : '',
      expenseFen ? `-${formatFen(expenseFen)}` : '',
      formatFen(balance),
      '',
      operation.operationType === 'PAY' ? '红包支付' : '红包退款',
      operation.authNo ? `auth_no ${operation.authNo}` : '',
    ]);
  });
  const income = entries.filter((entry) => entry.incomeFen > 0);
  const expense = entries.filter((entry) => entry.expenseFen > 0);
  const sum = (list: BillEntry[], key: 'incomeFen' | 'expenseFen') =>
    formatFen(list.reduce((total, entry) => total + entry[key], 0));
  const detail = [
    '#支付宝账务明细查询',
    `#账号：[${accountId}]`,
    `#起始日期：[${day} 00:00:00]   终止日期：[${day} 23:59:59]`,
    '#-----------------------------------------账务明细列表----------------------------------------',
    HEADER.join(','),
    ...lines,
    '#-----------------------------------------账务明细列表结束------------------------------------',
    `#支出合计：${expense.length}笔，共${sum(expense, 'expenseFen')}元`,
    `#收入合计：${income.length}笔，共${sum(income, 'incomeFen')}元`,
  ].join('\r\n');
  const summary = [
    '#支付宝账务明细汇总查询',
    `#账号：[${accountId}]`,
    '#-----------------------------------------账务汇总列表----------------------------------------',
    '收入笔数,收入金额（+元）,支出笔数,支出金额（-元）',
    row([
      String(income.length),
      sum(income, 'incomeFen'),
      String(expense.length),
      sum(expense, 'expenseFen'),
    ]),
    '#-----------------------------------------账务汇总列表结束------------------------------------',
  ].join('\r\n');
  return zipSync({
    [`${accountId}_${compact}_账务明细.csv`]: iconv.encode(detail, 'gbk'),
    [`${accountId}_${compact}_账务明细(汇总).csv`]: iconv.encode(summary, 'gbk'),
  });
}

/**
 * Differences between Alipay's bill and the ledger, made on purpose to test reconciliation: lines
 * the merchant never made (`extra`), amounts changed (`amounts`, by out_request_no), lines lost
 * (`lost`, by out_request_no). Sandbox only.
 */
export interface BillDrift {
  extra: Array<{ merchantOrderNo: string; amountFen: Fen; direction: 'expense' | 'income' }>;
  amounts: Record<string, Fen>;
  lost: string[];
}

export const NO_DRIFT: BillDrift = { extra: [], amounts: {}, lost: [] };
const MAX_DRIFTS = 100;

export class BillDriftError extends Error {}

/** Reads a drift from JSON (`amount`s as yuan strings), refusing anything unclear. */
export function parseBillDrift(body: unknown): BillDrift {
  const object = (value: unknown, what: string): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new BillDriftError(`${what} must be an object`);
    return value as Record<string, unknown>;
  };
  const id = (value: unknown, what: string): string => {
    if (typeof value !== 'string' || !/^[0-9A-Za-z_-]{1,64}$/.test(value))
      throw new BillDriftError(`${what} must be 1 to 64 letters, digits, _ or -`);
    return value;
  };
  const yuan = (value: unknown, what: string): Fen => {
    try {
      const fen = parseAmount(String(value));
      if (typeof value === 'string' && fen > 0) return fen;
    } catch {
      // refused below
    }
    throw new BillDriftError(`${what} must be a yuan amount such as "6.00"`);
  };
  const list = (value: unknown, what: string): unknown[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.length > MAX_DRIFTS)
      throw new BillDriftError(`${what} must be a list of at most ${MAX_DRIFTS}`);
    return value;
  };
  const drift = object(body, 'the drift');
  const unknownField = Object.keys(drift).find((key) => !['extra', 'amounts', 'lost'].includes(key));
  if (unknownField) throw new BillDriftError(`unknown field ${unknownField}`);
  const amounts = Object.entries(drift.amounts === undefined ? {} : object(drift.amounts, 'amounts'));
  if (amounts.length > MAX_DRIFTS)
    throw new BillDriftError(`amounts may name at most ${MAX_DRIFTS} operations`);
  return {
    extra: list(drift.extra, 'extra').map((raw, index) => {
      const line = object(raw, `extra[${index}]`);
      if (line.direction !== 'expense' && line.direction !== 'income')
        throw new BillDriftError(`extra[${index}].direction must be "expense" or "income"`);
      return {
        merchantOrderNo: id(line.merchantOrderNo, `extra[${index}].merchantOrderNo`),
        amountFen: yuan(line.amount, `extra[${index}].amount`),
        direction: line.direction,
      };
    }),
    amounts: Object.fromEntries(
      amounts.map(([key, value]) => [id(key, 'amounts key'), yuan(value, `amounts.${key}`)]),
    ),
    lost: list(drift.lost, 'lost').map((value, index) => id(value, `lost[${index}]`)),
  };
}

/** The day's entries as the drift would have Alipay's bill show them. */
export function withDrift(entries: BillEntry[], drift: BillDrift, day: string): BillEntry[] {
  const lost = new Set(drift.lost);
  const kept = entries
    .filter((entry) => !lost.has(entry.operation.outRequestNo))
    .map((entry) => {
      const number = entry.operation.outRequestNo;
      if (!Object.hasOwn(drift.amounts, number)) return entry;
      const changed = drift.amounts[number]!;
      return entry.expenseFen > 0 ? { ...entry, expenseFen: changed } : { ...entry, incomeFen: changed };
    });
  // Lines nobody made, at noon of the day (Beijing).
  const noon = new Date(`${day}T04:00:00.000Z`);
  const extra = drift.extra.map((line, index): BillEntry => ({
    operation: {
      operationId: `${day.replaceAll('-', '')}9${String(index + 1).padStart(8, '0')}`,
      operationType: line.direction === 'expense' ? 'PAY' : 'REFUND',
      authNo: '',
      outOrderNo: line.merchantOrderNo,
      outRequestNo: line.merchantOrderNo,
      amount: line.amountFen,
      status: 'SUCCESS',
      orderTitle: '',
      gmtCreate: noon,
      gmtTrans: noon,
    },
    incomeFen: line.direction === 'income' ? line.amountFen : 0,
    expenseFen: line.direction === 'expense' ? line.amountFen : 0,
  }));
  return [...kept, ...extra];
}

/** When a day's bill can be downloaded: from 09:00 Beijing time the next day, or at once (tests, demos). */
export type BillReadiness = 'next-day' | 'at-once';

/** Download links Alipay hands out: each serves its ZIP until it expires. */
const MAX_LINKS = 100;

export class BillNotReady extends Error {}

export class BillDownloads {
  private readonly links = new Map<string, { zip: Uint8Array; expiresAt: number }>();
  readiness: BillReadiness;
  drift: BillDrift = NO_DRIFT;

  constructor(
    private readonly options: {
      packets: () => Packet[];
      accountId: string;
      /** How long a link serves its ZIP (Alipay: 30 seconds). */
      linkLifetimeMs: number;
      readiness: BillReadiness;
      now?: () => Date;
    },
  ) {
    this.readiness = options.readiness;
  }

  /** Builds the day's ZIP and a token for its link; throws BillNotReady before the bill exists. */
  issue(day: string): string {
    const now = (this.options.now ?? (() => new Date()))();
    // 09:00 Beijing on the next day is 01:00 UTC on it.
    const readyAt = Date.parse(`${day}T01:00:00.000Z`) + 86_400_000;
    if (this.readiness === 'next-day' && now.getTime() < readyAt) throw new BillNotReady(day);
    const entries = withDrift(billEntries(this.options.packets(), day), this.drift, day);
    const zip = signcustomerBillZip(entries, day, this.options.accountId);
    for (const [token, link] of this.links)
      if (link.expiresAt <= now.getTime() || this.links.size >= MAX_LINKS) this.links.delete(token);
    const token = `${day.replaceAll('-', '')}${randomBytes(16).toString('hex')}`;
    this.links.set(token, { zip, expiresAt: now.getTime() + this.options.linkLifetimeMs });
    return token;
  }

  /** The ZIP behind a link, or undefined once it has expired (or never existed). */
  download(token: string): Uint8Array | undefined {
    const link = this.links.get(token);
    const now = (this.options.now ?? (() => new Date()))().getTime();
    if (!link || link.expiresAt <= now) return undefined;
    return link.zip;
  }
}
