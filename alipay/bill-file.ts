// Alipay's daily account bill (`signcustomer`): a ZIP of GBK-encoded CSV files, a detail file and
// a summary, each table between `#` comment lines, values often padded with tabs. Only the detail
// file's lines are read; the files are told apart by their table's header, not by their names
// (GBK file names arrive undecoded from most ZIP readers).
import { unzipSync } from 'fflate';
import iconv from 'iconv-lite';
import { parseAmount, type Fen } from './money';

/** A bill larger than this (unzipped) is refused rather than read into memory. */
export const MAX_BILL_BYTES = 64 * 1024 * 1024;

export interface BillLine {
  /** 账务流水号: the account entry. */
  accountSerial: string;
  /** 业务流水号: Alipay's number for the operation (its operation_id). */
  businessSerial: string;
  /** 商户订单号: the merchant's number for it (our out_request_no). */
  merchantOrderNo: string;
  /** 商品名称 */
  title: string;
  /** 发生时间, as written: `yyyy-MM-dd HH:mm:ss` Beijing time. */
  occurredAt: string;
  /** 对方账号 */
  counterparty: string;
  /** 收入金额 */
  incomeFen: Fen;
  /** 支出金额, as a positive amount. */
  expenseFen: Fen;
  /** 业务类型 */
  businessType: string;
  /** 备注 */
  remark: string;
}

export class BillFormatError extends Error {
  override name = 'BillFormatError';
}

/** Each column by the start of its header: Alipay's headers carry units, as in 收入金额（+元）. */
const COLUMNS = {
  accountSerial: '账务流水号',
  businessSerial: '业务流水号',
  merchantOrderNo: '商户订单号',
  title: '商品名称',
  occurredAt: '发生时间',
  counterparty: '对方账号',
  income: '收入金额',
  expense: '支出金额',
  businessType: '业务类型',
  remark: '备注',
} as const;

/** One CSV record's fields: double quotes may wrap a field and double inside it. */
function splitRecord(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  fields.push(field);
  return fields.map((value) => value.trim());
}

/**
 * An amount column: blank is 0. Income may carry a plus sign and expense a minus sign, nothing
 * else: a signed amount in the other column (a reversal) is not read as the opposite movement.
 */
function amount(text: string, column: string, row: number, sign: '+' | '-'): Fen {
  const unsigned = text.startsWith(sign) ? text.slice(1) : text;
  if (unsigned === '') return 0;
  try {
    return parseAmount(unsigned);
  } catch {
    throw new BillFormatError(`table row ${row}: ${column} is not an amount: ${JSON.stringify(text)}`);
  }
}

function tableRows(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The detail file's lines; throws BillFormatError when the ZIP holds no readable detail table. */
export function parseSigncustomerBill(zip: Uint8Array): BillLine[] {
  let files: Record<string, Uint8Array>;
  try {
    let total = 0;
    files = unzipSync(zip, {
      filter: (file) => {
        // What an entry declares it unzips to may be a lie; what it stores is counted too.
        total += Math.max(file.size, file.originalSize);
        if (total > MAX_BILL_BYTES)
          throw new BillFormatError(`the bill unzips to more than ${MAX_BILL_BYTES} bytes`);
        return file.name.toLowerCase().endsWith('.csv');
      },
    });
  } catch (error) {
    if (error instanceof BillFormatError) throw error;
    throw new BillFormatError(
      `the bill is not a readable ZIP: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const tables = Object.values(files)
    .map((content) => tableRows(iconv.decode(Buffer.from(content), 'gb18030')))
    .filter(
      (rows) =>
        rows[0] !== undefined && splitRecord(rows[0]).some((name) => name.startsWith(COLUMNS.accountSerial)),
    );
  if (tables.length > 1) throw new BillFormatError('the bill holds more than one detail table');
  const [rows] = tables;
  if (rows === undefined)
    throw new BillFormatError('the bill holds no detail table (no CSV with a 账务流水号 column)');
  const header = splitRecord(rows[0]!);
  const index = Object.fromEntries(
    Object.entries(COLUMNS).map(([key, prefix]) => {
      const at = header.findIndex((name) => name.startsWith(prefix));
      if (at < 0) throw new BillFormatError(`the detail table has no ${prefix} column`);
      return [key, at];
    }),
  ) as Record<keyof typeof COLUMNS, number>;
  return rows.slice(1).map((row, offset) => {
    const rowNumber = offset + 1;
    const fields = splitRecord(row);
    // A short row would read its missing amounts as 0.
    if (fields.length !== header.length)
      throw new BillFormatError(
        `table row ${rowNumber} has ${fields.length} fields, the header ${header.length}`,
      );
    const field = (key: keyof typeof COLUMNS): string => fields[index[key]]!;
    return {
      accountSerial: field('accountSerial'),
      businessSerial: field('businessSerial'),
      merchantOrderNo: field('merchantOrderNo'),
      title: field('title'),
      occurredAt: field('occurredAt'),
      counterparty: field('counterparty'),
      incomeFen: amount(field('income'), COLUMNS.income, rowNumber, '+'),
      expenseFen: amount(field('expense'), COLUMNS.expense, rowNumber, '-'),
      businessType: field('businessType'),
      remark: field('remark'),
    };
  });
}
