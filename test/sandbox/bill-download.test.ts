// The daily bill over the real protocol: the signed download-URL call, the ZIP behind the link,
// a bill that does not exist yet, a link that has expired.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BillNotReadyError,
  downloadBill,
  fetchSigncustomerBill,
  queryBillDownloadUrl,
} from '../../alipay/bill';
import { AlipayError } from '../../alipay/errors';
import type { AlipayGateway } from '../../alipay/gateway';
import { agreementPay, disburse, queryOperation, refund } from '../../alipay/methods';
import { beijingDay } from '../../sandbox/bill';
import type { RunningSandbox } from '../../sandbox/server';
import { merchantGateway, startTestSandbox } from '../helpers/sandbox';
import {
  reconcileDay,
  type BookedPacket,
  type QueriedOperation,
} from '../../workflows/reconciliation-differences';

let sandbox: RunningSandbox;
let gateway: AlipayGateway;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  gateway = merchantGateway(sandbox);
});
afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

async function setReadiness(readiness: string): Promise<Response> {
  return fetch(`${sandbox.url}/sandbox/bills`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ readiness }),
  });
}

/** A packet of 10.00 paid by agreement pay, one payout and the rest refunded, at the sandbox. */
async function payoutAndRefund(prefix: string, payoutFen: number) {
  const outOrderNo = `${prefix}${Date.now()}`;
  const pay = await agreementPay(gateway, {
    outOrderNo,
    outRequestNo: `${outOrderNo}P`,
    orderTitle: '对账红包',
    amount: 1000,
    payerUserId: '2088000000000001',
  });
  await disburse(gateway, {
    outOrderNo,
    deductAuthNo: pay.authNo,
    outRequestNo: `${outOrderNo}D1`,
    orderTitle: '对账红包',
    amount: payoutFen,
    payeeUserId: '2088000000000002',
  });
  const refunded = await refund(gateway, {
    authNo: pay.authNo,
    outRequestNo: `${outOrderNo}R`,
    amount: 1000 - payoutFen,
    remark: '红包退回',
  });
  return { outOrderNo, pay, refunded };
}

describe("the sandbox's signcustomer bill, downloaded as from Alipay", () => {
  it('is not there for today before 09:00 tomorrow (Beijing): BillNotReadyError, never an empty day', async () => {
    expect((await setReadiness('next-day')).status).toBe(200);
    await expect(queryBillDownloadUrl(gateway, beijingDay(new Date()))).rejects.toThrow(BillNotReadyError);
  });

  it("holds the day's pay and refund once ready, each with its numbers and amount, and no payout", async () => {
    expect((await setReadiness('at-once')).status).toBe(200);
    const { outOrderNo, pay, refunded } = await payoutAndRefund('BILL', 300);

    const lines = await fetchSigncustomerBill(gateway, beijingDay(new Date()));
    const ours = lines.filter((line) => line.remark === `auth_no ${pay.authNo}`);
    expect(
      ours.map((line) => [line.businessSerial, line.merchantOrderNo, line.incomeFen, line.expenseFen]),
    ).toEqual([
      [pay.operationId, `${outOrderNo}P`, 0, 1000],
      [refunded.operationId, `${outOrderNo}R`, 700, 0],
    ]);
    const ledger = sandbox.ledger.packet(pay.authNo);
    expect(ledger.disbursed + ledger.refunded).toBe(ledger.funded);
  });

  it('serves a link only until it expires (Alipay: 30 seconds), then 404', async () => {
    const shortLived = await startTestSandbox({ billReadiness: 'at-once', billLinkLifetimeMs: 200 });
    const client = merchantGateway(shortLived);
    try {
      const url = await queryBillDownloadUrl(client, '2026-11-25');
      expect((await downloadBill(url)).length).toBeGreaterThan(0);
      await sleep(300);
      await expect(downloadBill(url)).rejects.toThrow('the bill download answered HTTP 404');
    } finally {
      await client.close();
      await shortLived.close();
    }
  });

  it('shows the drift asked for, and reconciliation finds each difference and nothing else', async () => {
    expect((await setReadiness('at-once')).status).toBe(200);
    const { outOrderNo, pay } = await payoutAndRefund('DRIFT', 400);
    const book: BookedPacket = {
      authNo: pay.authNo,
      totalFen: 1000,
      settled: true,
      operations: [
        { type: 'PAY', outRequestNo: `${outOrderNo}P`, amountFen: 1000, status: 'SUCCESS' },
        { type: 'DISBURSE', outRequestNo: `${outOrderNo}D1`, amountFen: 400, status: 'SUCCESS' },
        { type: 'REFUND', outRequestNo: `${outOrderNo}R`, amountFen: 600, status: 'SUCCESS' },
      ],
    };
    const day = beijingDay(new Date());
    const reconcile = async () => {
      const queried: Record<string, QueriedOperation> = {};
      for (const operation of book.operations) {
        const found = await queryOperation(gateway, { outOrderNo, outRequestNo: operation.outRequestNo });
        queried[operation.outRequestNo] = {
          found: true,
          operationId: found.operationId,
          amountFen: found.amount,
          status: found.status,
          day: found.gmtTrans?.slice(0, 10),
        };
      }
      const bill = (await fetchSigncustomerBill(gateway, day)).filter(
        (line) => line.remark === `auth_no ${pay.authNo}` || line.merchantOrderNo.startsWith('STRANGER'),
      );
      return reconcileDay({ day, packets: [book], queried, bill });
    };
    expect((await reconcile()).differences).toEqual([]);

    const drift = {
      extra: [{ merchantOrderNo: 'STRANGER9', amount: '5.00', direction: 'expense' }],
      amounts: { [`${outOrderNo}R`]: '6.50' },
      lost: [`${outOrderNo}P`],
    };
    const put = await fetch(`${sandbox.url}/sandbox/bills/drift`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(drift),
    });
    expect(put.status).toBe(200);
    try {
      const report = await reconcile();
      expect(
        report.differences.map(({ kind, authNo, outRequestNo, ours, alipay }) => ({
          kind,
          authNo,
          outRequestNo,
          ours,
          alipay,
        })),
      ).toEqual([
        {
          kind: 'AMOUNT_DIFFERS',
          authNo: pay.authNo,
          outRequestNo: `${outOrderNo}R`,
          ours: '600 fen',
          alipay: '650 fen',
        },
        {
          kind: 'UNKNOWN_TO_US',
          authNo: null,
          outRequestNo: 'STRANGER9',
          ours: 'not booked',
          alipay: expect.stringMatching(/^paid 500 fen/),
        },
        {
          kind: 'UNKNOWN_TO_ALIPAY',
          authNo: pay.authNo,
          outRequestNo: `${outOrderNo}P`,
          ours: '1000 fen',
          alipay: 'not in the bill',
        },
      ]);
      // The drift is the bill's alone: the ledger still balances.
      const ledger = sandbox.ledger.packet(pay.authNo);
      expect(ledger.disbursed + ledger.refunded).toBe(ledger.funded);
    } finally {
      await fetch(`${sandbox.url}/sandbox/bills/drift`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
    }
    const refused = await fetch(`${sandbox.url}/sandbox/bills/drift`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amounts: { x: '1.001' } }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'amounts.x must be a yuan amount such as "6.00"' });
  });

  it('never serves a day that does not exist (2026-13-01 is not a past day)', async () => {
    const strict = await startTestSandbox({ billReadiness: 'next-day' });
    const client = merchantGateway(strict);
    try {
      await expect(
        client.execute('alipay.data.dataservice.bill.downloadurl.query', {
          bill_type: 'signcustomer',
          bill_date: '2026-13-01',
        }),
      ).rejects.toMatchObject({ subCode: 'isv.invalid-bill-date' });
    } finally {
      await client.close();
      await strict.close();
    }
  });

  it('downloads only over https, or plain http from this machine (the sandbox)', async () => {
    await expect(downloadBill('http://bills.example.com/a.zip')).rejects.toThrow(
      'a bill is downloaded over https (plain http only from this machine), not http://bills.example.com/a.zip',
    );
  });

  it('refuses another bill type or a malformed date, and a readiness it does not know', async () => {
    await expect(
      gateway.execute('alipay.data.dataservice.bill.downloadurl.query', {
        bill_type: 'trade',
        bill_date: '2026-11-25',
      }),
    ).rejects.toMatchObject({
      subCode: 'isv.invalid-bill-type',
      kind: 'permanent',
    } satisfies Partial<AlipayError>);
    await expect(queryBillDownloadUrl(gateway, '2026-11-5')).rejects.toThrow(RangeError);
    expect((await setReadiness('sometimes')).status).toBe(400);
  });
});
