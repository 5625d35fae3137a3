// The daily signcustomer bill: a GBK ZIP read as Alipay writes it, and the sandbox's own bill
// built from its ledger read back line by line.
import { zipSync } from 'fflate';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { BillFormatError, MAX_BILL_BYTES, parseSigncustomerBill } from '../../alipay/bill-file';
import { Ledger } from '../../sandbox/ledger';
import { billEntries, NO_DRIFT, signcustomerBillZip, withDrift } from '../../sandbox/bill';

const gbk = (text: string): Uint8Array => iconv.encode(text, 'gbk');

/** A detail file as Alipay writes it: comment lines around the table, tabs after values, CRLF. */
const DETAIL = [
  '#支付宝账务明细查询',
  '#账号：[20880000000000010156]',
  '#起始日期：[2026年11月25日 00:00:00]   终止日期：[2026年11月26日 00:00:00]',
  '#-----------------------------------------账务明细列表----------------------------------------',
  '账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注',
  '20261125000001\t,2026112510002001\t,RP0001P\t,新年红包\t,2026-11-25 23:59:58\t,2088000000000001\t,\t,-10.00\t,999990.00\t,\t,红包支付\t,\t',
  '20261125000002\t,2026112510002002\t,RP0001R\t,"新年红包, 退回"\t,2026-11-25 23:59:59\t,2088000000000001\t,+6.56\t,\t,999996.56\t,\t,红包退款\t,"备注 ""含引号"""\t',
  '#-----------------------------------------账务明细列表结束------------------------------------',
  '#支出合计：1笔，共10.00元',
  '#收入合计：1笔，共6.56元',
  '#导出时间：[2026年11月26日 09:00:03]',
].join('\r\n');
const SUMMARY = [
  '#账务明细汇总',
  '收入笔数,收入金额（+元）,支出笔数,支出金额（-元）',
  '1\t,6.56\t,1\t,10.00\t',
].join('\r\n');

describe('the signcustomer bill', () => {
  it('reads the detail table of a GBK ZIP: comment lines skipped, tabs trimmed, quotes honoured, amounts in fen', () => {
    // The summary comes first and the names are not the usual ones: files are told apart by their table.
    const zip = zipSync({ 'a.csv': gbk(SUMMARY), 'b.csv': gbk(DETAIL), 'readme.txt': gbk('not a table') });
    expect(parseSigncustomerBill(zip)).toEqual([
      {
        accountSerial: '20261125000001',
        businessSerial: '2026112510002001',
        merchantOrderNo: 'RP0001P',
        title: '新年红包',
        occurredAt: '2026-11-25 23:59:58',
        counterparty: '2088000000000001',
        incomeFen: 0,
        expenseFen: 1000,
        businessType: '红包支付',
        remark: '',
      },
      {
        accountSerial: '20261125000002',
        businessSerial: '2026112510002002',
        merchantOrderNo: 'RP0001R',
        title: '新年红包, 退回',
        occurredAt: '2026-11-25 23:59:59',
        counterparty: '2088000000000001',
        incomeFen: 656,
        expenseFen: 0,
        businessType: '红包退款',
        remark: '备注 "含引号"',
      },
    ]);
  });

  it('is GBK, not UTF-8: the same table in UTF-8 bytes does not read as a detail table', () => {
    const utf8 = zipSync({ 'b.csv': new TextEncoder().encode(DETAIL) });
    expect(() => parseSigncustomerBill(utf8)).toThrow(BillFormatError);
  });

  it('refuses what is not a bill, naming what is wrong', () => {
    expect(() => parseSigncustomerBill(new Uint8Array([1, 2, 3, 4]))).toThrow(/not a readable ZIP/);
    expect(() => parseSigncustomerBill(zipSync({ 'a.csv': gbk(SUMMARY) }))).toThrow(/no detail table/);
    const withoutRemark = DETAIL.replace(',备注', '');
    expect(() => parseSigncustomerBill(zipSync({ 'b.csv': gbk(withoutRemark) }))).toThrow(/no 备注 column/);
    const badAmount = DETAIL.replace('-10.00', '-10.001');
    expect(() => parseSigncustomerBill(zipSync({ 'b.csv': gbk(badAmount) }))).toThrow(
      /table row 1: 支出金额 is not an amount: "-10.001"/,
    );
  });

  it('refuses a signed amount in the wrong column (a reversal is not money received), a short row, two detail tables', () => {
    const negativeIncome = DETAIL.replace('+6.56', '-6.56');
    expect(() => parseSigncustomerBill(zipSync({ 'b.csv': gbk(negativeIncome) }))).toThrow(
      /table row 2: 收入金额 is not an amount: "-6.56"/,
    );
    const positiveExpense = DETAIL.replace('-10.00', '+10.00');
    expect(() => parseSigncustomerBill(zipSync({ 'b.csv': gbk(positiveExpense) }))).toThrow(
      /table row 1: 支出金额 is not an amount: "\+10.00"/,
    );
    const shortRow = DETAIL.replace(',红包支付\t,\t', '');
    expect(() => parseSigncustomerBill(zipSync({ 'b.csv': gbk(shortRow) }))).toThrow(
      /table row 1 has 10 fields, the header 12/,
    );
    expect(() => parseSigncustomerBill(zipSync({ 'b.csv': gbk(DETAIL), 'c.csv': gbk(DETAIL) }))).toThrow(
      /more than one detail table/,
    );
  });

  it('refuses a ZIP whose entries would unzip past the bound, counting what they store as well as what they declare', () => {
    const big = new Uint8Array(MAX_BILL_BYTES / 4 + 1);
    const stored = zipSync({ 'a.csv': big, 'b.csv': big, 'c.csv': big, 'd.csv': big }, { level: 0 });
    expect(() => parseSigncustomerBill(stored)).toThrow(/unzips to more than/);
    // The same entries declaring that they unzip to nothing (central directory patched): still refused.
    const lying = new Uint8Array(stored);
    const view = new DataView(lying.buffer);
    // The central directory (what ZIP readers trust) sits in the last bytes.
    for (let at = lying.length - 1024; at + 46 <= lying.length; at++)
      if (view.getUint32(at, true) === 0x02014b50) view.setUint32(at + 24, 0, true);
    expect(() => parseSigncustomerBill(lying)).toThrow(/unzips to more than/);
  });

  it('a drift names operations by their own numbers only: one numbered like a built-in property is left as it is', () => {
    const ledger = new Ledger(() => new Date('2026-11-25T04:00:00.000Z'));
    ledger.pay(
      { outOrderNo: 'C1', outRequestNo: 'constructor', orderTitle: 't', amount: 100, lifetimeMs: 86_400_000 },
      true,
    );
    const entries = billEntries(ledger.allPackets(), '2026-11-25');
    expect(withDrift(entries, NO_DRIFT, '2026-11-25')).toEqual(entries);
  });

  it("reads back the sandbox's own bill: the day's settled pays and refunds, not its payouts, not another day's", () => {
    let now = new Date('2026-11-25T15:00:00.000Z'); // 23:00 in Beijing, 2026-11-25
    const ledger = new Ledger(() => now);
    const { packet, operation: pay } = ledger.pay(
      {
        outOrderNo: 'RP1',
        outRequestNo: 'RP1P',
        orderTitle: '新年红包',
        amount: 1000,
        payerUserId: '2088000000000001',
        lifetimeMs: 86_400_000,
      },
      true,
    );
    ledger.disburse({
      authNo: packet.authNo,
      outOrderNo: 'RP1',
      outRequestNo: 'RP1D1',
      orderTitle: '新年红包',
      amount: 344,
      payeeUserId: '2088000000000002',
    });
    const refund = ledger.refund({
      authNo: packet.authNo,
      outRequestNo: 'RP1R',
      amount: 656,
      remark: '红包退回',
    });
    now = new Date('2026-11-25T16:30:00.000Z'); // 00:30 on 2026-11-26 in Beijing: the next day's
    const other = ledger.pay(
      { outOrderNo: 'RP2', outRequestNo: 'RP2P', orderTitle: '次日', amount: 500, lifetimeMs: 86_400_000 },
      true,
    );

    const entries = billEntries(ledger.allPackets(), '2026-11-25');
    const lines = parseSigncustomerBill(signcustomerBillZip(entries, '2026-11-25', '2088000000000000'));
    expect(
      lines.map((line) => [line.businessSerial, line.merchantOrderNo, line.incomeFen, line.expenseFen]),
    ).toEqual([
      [pay.operationId, 'RP1P', 0, 1000],
      [refund.operationId, 'RP1R', 656, 0],
    ]);
    expect(lines[0]!.occurredAt).toBe('2026-11-25 23:00:00');
    expect(lines[1]!.remark).toBe(`auth_no ${packet.authNo}`);
    const nextDay = parseSigncustomerBill(
      signcustomerBillZip(billEntries(ledger.allPackets(), '2026-11-26'), '2026-11-26', '2088000000000000'),
    );
    expect(nextDay.map((line) => line.businessSerial)).toEqual([other.operation.operationId]);
    // disbursed + refunded == total on the packet the bill covers
    expect(ledger.packet(packet.authNo)).toMatchObject({
      funded: 1000,
      disbursed: 344,
      refunded: 656,
      balance: 0,
    });
  });
});
