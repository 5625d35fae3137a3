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
import { agreementPay, disburse, refund } from '../../alipay/methods';
import { beijingDay } from '../../sandbox/bill';
import type { RunningSandbox } from '../../sandbox/server';
import { merchantGateway, startTestSandbox } from '../helpers/sandbox';

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

describe("the sandbox's signcustomer bill, downloaded as from Alipay", () => {
  it('is not there for today before 09:00 tomorrow (Beijing): BillNotReadyError, never an empty day', async () => {
    await expect(queryBillDownloadUrl(gateway, beijingDay(new Date()))).rejects.toThrow(BillNotReadyError);
  });

  it("holds the day's pay and refund once ready, each with its numbers and amount, and no payout", async () => {
    expect((await setReadiness('at-once')).status).toBe(200);
    const outOrderNo = `BILL${Date.now()}`;
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
      amount: 300,
      payeeUserId: '2088000000000002',
    });
    const refunded = await refund(gateway, {
      authNo: pay.authNo,
      outRequestNo: `${outOrderNo}R`,
      amount: 700,
      remark: '红包退回',
    });

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
