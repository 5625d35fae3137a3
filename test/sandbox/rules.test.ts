// The sandbox enforces Alipay's rules for red packets, through our own gateway client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreementPay, disburse, queryOperation, refund } from '../../alipay/methods';
import type { AlipayGateway } from '../../alipay/gateway';
import { verifyNotification } from '../../alipay/notify';
import type { RunningSandbox } from '../../sandbox/server';
import { merchantGateway, startTestSandbox } from '../helpers/sandbox';
import { startNotifyReceiver, type NotifyReceiver } from '../helpers/notify-receiver';

let sandbox: RunningSandbox;
let gateway: AlipayGateway;
let receiver: NotifyReceiver;
let sequence = 0;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  gateway = merchantGateway(sandbox);
  receiver = await startNotifyReceiver();
});
afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
  await receiver?.close();
});

async function fundedPacket(amount: number, extraParam?: string): Promise<string> {
  sequence += 1;
  const pay = await agreementPay(
    gateway,
    {
      outOrderNo: `PAY-${sequence}`,
      outRequestNo: `PAY-${sequence}-R`,
      orderTitle: '红包',
      amount,
      payerUserId: '2088000000000001',
      extraParam,
    },
    { notifyUrl: receiver.url },
  );
  return pay.authNo;
}

const claim = (authNo: string, id: string, amount: number) =>
  disburse(gateway, {
    outOrderNo: `D-${authNo}-${id}`,
    deductAuthNo: authNo,
    outRequestNo: `D-${authNo}-${id}`,
    orderTitle: '领取',
    amount,
    payeeUserId: '2088000000000002',
  });

function conserved(authNo: string): void {
  const packet = sandbox.ledger.packet(authNo);
  expect(packet.funded).toBe(packet.disbursed + packet.refunded + packet.balance);
}

describe('sandbox ledger rules', () => {
  it('refuses a disburse or refund beyond the balance with MONEY_NOT_ENOUGH', async () => {
    const authNo = await fundedPacket(100);
    await claim(authNo, 'a', 60);
    await expect(claim(authNo, 'b', 41)).rejects.toMatchObject({
      subCode: 'MONEY_NOT_ENOUGH',
      kind: 'permanent',
    });
    await expect(
      refund(gateway, { authNo, outRequestNo: 'RF-x', amount: 41, remark: 'r' }),
    ).rejects.toMatchObject({
      subCode: 'MONEY_NOT_ENOUGH',
    });
    conserved(authNo);
    expect(sandbox.ledger.packet(authNo).balance).toBe(40);
  });

  it('answers UNIQUE_VIOLATION for a reused out_request_no and applies nothing', async () => {
    const authNo = await fundedPacket(100);
    await claim(authNo, 'same', 10);
    await expect(claim(authNo, 'same', 10)).rejects.toMatchObject({
      subCode: 'UNIQUE_VIOLATION',
      kind: 'ambiguous',
    });
    expect(sandbox.ledger.packet(authNo).disbursed).toBe(10);
    conserved(authNo);
  });

  it('refuses operations on a closed packet', async () => {
    const authNo = await fundedPacket(50);
    await refund(gateway, { authNo, outRequestNo: `RF-${authNo}`, amount: 50, remark: '退回' });
    await expect(claim(authNo, 'late', 1)).rejects.toMatchObject({ subCode: 'ORDER_ALREADY_CLOSED' });
    conserved(authNo);
  });

  it('finds an operation by auth_no + operation_id and by out_order_no + out_request_no', async () => {
    const authNo = await fundedPacket(300);
    const paid = await claim(authNo, 'q', 123);
    const byId = await queryOperation(gateway, { authNo, operationId: paid.operationId });
    const byRequest = await queryOperation(gateway, {
      outOrderNo: paid.outOrderNo,
      outRequestNo: paid.outRequestNo,
    });
    expect(byId).toMatchObject({ operationType: 'DISBURSE', amount: 123, status: 'SUCCESS' });
    expect(byRequest.operationId).toBe(paid.operationId);
    await expect(queryOperation(gateway, { authNo, operationId: 'nope' })).rejects.toMatchObject({
      subCode: 'ORDER_NOT_EXIST',
    });
  });

  it('refunds the balance itself at expiry and notifies the pay call’s notify_url', async () => {
    const before = receiver.received.length;
    const authNo = await fundedPacket(500, JSON.stringify({ merchantExt: 'orderExpiredTime=1m' }));
    await claim(authNo, 'early', 200);
    // 1 minute at time scale 0.001 is 60 ms.
    await receiver.waitFor(before + 1);
    const notification = receiver.received.find((fields) => fields.auth_no === authNo)!;
    expect(notification).toMatchObject({
      notify_type: 'fund_stdtrustee_refund.success',
      amount: '3.00',
      operation_type: 'REFUND',
    });
    expect(verifyNotification(notification, sandbox.keys.alipayPublicKey).ok).toBe(true);
    expect(sandbox.ledger.packet(authNo)).toMatchObject({
      status: 'CLOSED',
      refunded: 300,
      disbursed: 200,
      balance: 0,
    });
  });

  it('funds app.pay orders only when the payer pays, then notifies the pay notify_url', async () => {
    sequence += 1;
    const signed = gateway.sign(
      'alipay.fund.coupon.order.app.pay',
      {
        out_order_no: `APP-${sequence}`,
        out_request_no: `APP-${sequence}-R`,
        order_title: '红包',
        amount: '8.88',
      },
      { notifyUrl: receiver.url },
    );
    const response = await fetch(sandbox.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(signed).toString(),
    });
    const node = ((await response.json()) as Record<string, Record<string, string>>)
      .alipay_fund_coupon_order_app_pay_response!;
    expect(node).toMatchObject({ code: '10000', status: 'INIT' });
    const authNo = node.auth_no!;
    await expect(claim(authNo, 'unpaid', 1)).rejects.toMatchObject({ subCode: 'ORDER_NOT_PAID' });

    const before = receiver.received.length;
    const paid = await fetch(`${sandbox.url}/sandbox/packets/${authNo}/pay`, { method: 'POST' });
    expect(((await paid.json()) as { funded: string }).funded).toBe('8.88');
    await receiver.waitFor(before + 1);
    expect(receiver.received.at(-1)).toMatchObject({
      auth_no: authNo,
      operation_type: 'PAY',
      status: 'SUCCESS',
    });
    await claim(authNo, 'paid', 888);
    conserved(authNo);
  });

  it('opens a cashier page for a page.pay GET URL', async () => {
    sequence += 1;
    const params = gateway.sign('alipay.fund.coupon.order.page.pay', {
      out_order_no: `PAGE-${sequence}`,
      out_request_no: `PAGE-${sequence}-R`,
      order_title: '红包',
      amount: '1.00',
    });
    const page = await fetch(`${sandbox.gatewayUrl}?${new URLSearchParams(params).toString()}`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toMatch(/<form method="post" action="\/sandbox\/packets\/\w+\/pay">/);
  });

  it.each([
    [
      'a missing signature',
      (p: Record<string, string>) => ({ ...p, sign: '' }),
      '40001',
      'isv.missing-signature',
    ],
    [
      'a tampered parameter',
      (p: Record<string, string>) => ({ ...p, biz_content: p.biz_content!.replace('1', '2') }),
      '40002',
      'isv.invalid-signature',
    ],
    [
      'an unknown app_id',
      (p: Record<string, string>) => ({ ...p, app_id: '2021999999999999' }),
      '40002',
      'isv.invalid-app-id',
    ],
    [
      'an unknown method',
      (p: Record<string, string>) => ({ ...p, method: 'alipay.fund.coupon.order.steal' }),
      '40002',
      'isv.invalid-method',
    ],
    [
      'a missing method',
      (p: Record<string, string>) => ({ ...p, method: '' }),
      '40001',
      'isv.missing-method',
    ],
  ])('answers %s with Alipay’s codes', async (_name, mutate, code, subCode) => {
    const params = mutate(
      gateway.sign('alipay.fund.coupon.operation.query', { auth_no: '1', operation_id: '1' }),
    );
    const response = await fetch(`${sandbox.gatewayUrl}?${new URLSearchParams(params).toString()}`, {
      method: 'POST',
    });
    const body = (await response.json()) as Record<string, Record<string, string>>;
    const node = body.alipay_fund_coupon_operation_query_response ?? body.error_response;
    expect(node).toMatchObject({ code, sub_code: subCode });
    expect(typeof body.sign).toBe('string');
  });
});
