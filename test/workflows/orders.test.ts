// Pay orders: the service takes the sender's payment (agreement, app or page pay), then runs the
// packet it funded. Real dev server, sandbox, HTTP; the payer's side is played through the sandbox.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildSignContent, signRsa2 } from '../../alipay/sign';
import { createOrderClient } from '../../client/order-client';
import { connectToDevServer, createTimeSkippingEnv, type DevServerHandles } from '../harness/temporal';
import { recordHistory } from '../helpers/history';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';
import { DROPPED } from '../../sandbox/notifier';
import { eventually, startLifecycleEnv } from '../helpers/lifecycle-env';
import { orderWorkflowIdFor, type RedPacketOrderState } from '../../workflows/order-messages';

let temporal: DevServerHandles;
let env: HttpEnv;
let sequence = 0;

beforeAll(async () => {
  temporal = await connectToDevServer();
  env = await startHttpEnv(temporal.nativeConnection);
});
afterEach(() => env.sandbox.faults.set({}));
afterAll(async () => {
  await env?.close();
  await temporal?.close();
});

const nextOrderNo = (): string => `ORD${Date.now()}${(sequence += 1)}`;

/** The packet the order paid for runs to COMPLETED with one claim; both ledgers agree. */
async function runPaidPacket(authNo: string, totalFen: number): Promise<void> {
  await eventually(
    () => env.request('GET', `/red-packets/${authNo}`),
    (response) => response.json.status === 'OPEN',
  ).then((response) => expect(response.json.status).toBe('OPEN'));
  const claim = await env.request('POST', `/red-packets/${authNo}/claims`, {
    claimId: 'first',
    payeeUserId: '2088000000000021',
  });
  expect(claim.status).toBe(200);
  expect((await env.request('POST', `/red-packets/${authNo}/refund`)).status).toBe(202);
  const final = await eventually(
    () => env.request('GET', `/red-packets/${authNo}`),
    (response) => response.json.status === 'COMPLETED',
  );
  expect(final.json.status).toBe('COMPLETED');
  const ledger = env.sandbox.ledger.packet(authNo);
  expect(ledger).toMatchObject({ funded: totalFen, balance: 0 });
  expect(ledger.disbursed + ledger.refunded).toBe(totalFen);
}

/** What the sender's Alipay app does with an order string: submit it to the gateway. */
async function submitFromApp(orderString: string): Promise<string> {
  const response = await fetch(env.sandbox.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: orderString,
  });
  const node = ((await response.json()) as Record<string, Record<string, string>>)
    .alipay_fund_coupon_order_app_pay_response!;
  expect(node).toMatchObject({ code: '10000', status: 'INIT' });
  return node.auth_no!;
}

const payInSandbox = (authNo: string) =>
  fetch(`${env.sandbox.url}/sandbox/packets/${authNo}/pay`, { method: 'POST' }).then((r) =>
    expect(r.status).toBe(200),
  );

describe('pay orders', () => {
  it('agreement pay: paid at once, the packet opens and runs; the same order again is the same order', async () => {
    const outOrderNo = nextOrderNo();
    const body = {
      outOrderNo,
      amount: '3.00',
      shares: 3,
      split: 'fixed',
      ttlSeconds: 600,
      pay: 'agreement',
      payerUserId: '2088000000000001',
    };
    const created = await env.request('POST', '/red-packet-orders', body);
    expect(created).toMatchObject({ status: 201, json: { outOrderNo, status: 'PAID', pay: 'agreement' } });
    const authNo = String(created.json.authNo);
    expect(await env.request('POST', '/red-packet-orders', body)).toMatchObject({
      status: 200,
      json: { status: 'PAID', authNo },
    });
    expect(await env.request('POST', '/red-packet-orders', { ...body, amount: '4.00' })).toMatchObject({
      status: 409,
      json: { field: 'outOrderNo' },
    });
    expect(env.sandbox.ledger.packet(authNo).outOrderNo).toBe(outOrderNo);
    await runPaidPacket(authNo, 300);
    await recordHistory(
      'order-agreement-pay',
      temporal.client.workflow.getHandle(orderWorkflowIdFor(outOrderNo)),
    );
  });

  it('app pay: the order string, paid in the app, notified, opens the packet', async () => {
    const outOrderNo = nextOrderNo();
    const created = await env.request('POST', '/red-packet-orders', {
      outOrderNo,
      amount: '2.00',
      shares: 2,
      split: 'fixed',
      pay: 'app',
    });
    expect(created).toMatchObject({ status: 201, json: { status: 'AWAITING_PAYMENT' } });
    const orderString = String(created.json.orderString);
    const handle = temporal.client.workflow.getHandle(orderWorkflowIdFor(outOrderNo));
    const eventsBefore = (await handle.fetchHistory()).events?.length;
    const again = await env.request('POST', '/red-packet-orders', {
      outOrderNo,
      amount: '2.00',
      shares: 2,
      split: 'fixed',
      pay: 'app',
      payTimeoutSeconds: 3600, // the default, named: the same request
    });
    expect(again).toMatchObject({ status: 200, json: { status: 'AWAITING_PAYMENT', orderString } });
    expect((await handle.fetchHistory()).events?.length).toBe(eventsBefore);
    expect(new URLSearchParams(orderString).get('method')).toBe('alipay.fund.coupon.order.app.pay');
    const authNo = await submitFromApp(orderString);
    await payInSandbox(authNo);
    const paid = await eventually(
      () => env.request('GET', `/red-packet-orders/${outOrderNo}`),
      (response) => response.json.status === 'PAID',
    );
    expect(paid.json).toMatchObject({ status: 'PAID', authNo });
    await runPaidPacket(authNo, 200);
    await recordHistory(
      'order-app-pay-notified',
      temporal.client.workflow.getHandle(orderWorkflowIdFor(outOrderNo)),
    );
  });

  it('page pay: the cashier URL, paid there, opens the packet', async () => {
    const outOrderNo = nextOrderNo();
    const created = await env.request('POST', '/red-packet-orders', {
      outOrderNo,
      amount: '1.00',
      shares: 2,
      split: 'fixed',
      pay: 'page',
    });
    expect(created).toMatchObject({ status: 201, json: { status: 'AWAITING_PAYMENT' } });
    const cashier = await fetch(String(created.json.cashierUrl));
    expect(cashier.status).toBe(200);
    const authNo = env.sandbox.ledger.allPackets().find((packet) => packet.outOrderNo === outOrderNo)!.authNo;
    await payInSandbox(authNo);
    const paid = await eventually(
      () => env.request('GET', `/red-packet-orders/${outOrderNo}`),
      (response) => response.json.status === 'PAID',
    );
    expect(paid.json).toMatchObject({ status: 'PAID', authNo });
    await runPaidPacket(authNo, 100);
  });

  it('opens the packet by operation query when the pay notification never comes', async () => {
    const droppedToUs = () =>
      env.sandbox.notifier
        .history()
        .filter((delivery) => delivery.url.includes('/alipay/notify') && delivery.answer === DROPPED).length;
    const droppedBefore = droppedToUs();
    env.sandbox.faults.set({ notify: { dropRate: 1 } });
    const outOrderNo = nextOrderNo();
    const { order } = await env.orders.createOrder({
      outOrderNo,
      totalFen: 150,
      pay: 'app',
      payTimeoutSeconds: 600,
      ttlMs: 600_000,
      packet: { split: 'fixed', shares: 3 },
      payCheckIntervalMs: 1000,
    });
    const authNo = await submitFromApp(order.orderString!);
    await payInSandbox(authNo);
    const paid = await eventually(
      () => env.orders.getOrder(outOrderNo),
      (state: RedPacketOrderState) => state.status === 'PAID',
    );
    expect(paid).toMatchObject({ status: 'PAID', authNo });
    // Its pay notification was dropped, so the query is what opened it.
    expect(droppedToUs()).toBeGreaterThan(droppedBefore);
    env.sandbox.faults.set({});
    await runPaidPacket(authNo, 150);
  });

  it('ignores a pay notification for the order whose amount or request number is not the order’s', async () => {
    const outOrderNo = nextOrderNo();
    const created = await env.request('POST', '/red-packet-orders', {
      outOrderNo,
      amount: '2.00',
      pay: 'app',
    });
    expect(created.json.status).toBe('AWAITING_PAYMENT');
    const fields = {
      notify_type: 'trade_status_sync',
      notify_id: `forged-${outOrderNo}`,
      app_id: env.sandbox.keys.appId,
      auth_no: '2026000000000000000001',
      operation_id: '2026000000000000000002',
      out_order_no: outOrderNo,
      operation_type: 'PAY',
      status: 'SUCCESS',
    };
    for (const variant of [
      { ...fields, out_request_no: `${outOrderNo}P`, amount: '0.01' },
      { ...fields, out_request_no: 'SOMEOTHER', amount: '2.00' },
      { ...fields, out_request_no: `${outOrderNo}P`, amount: '2.00', status: 'INIT' },
    ]) {
      const sign = signRsa2(
        buildSignContent(variant, ['sign', 'sign_type']),
        env.sandbox.keys.alipayPrivateKey,
      );
      const response = await fetch(`${env.webhookUrl}/alipay/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...variant, sign_type: 'RSA2', sign }).toString(),
      });
      expect(await response.text()).toBe('success'); // verified and handed to the order, which ignores it
    }
    expect((await env.request('GET', `/red-packet-orders/${outOrderNo}`)).json).toMatchObject({
      status: 'AWAITING_PAYMENT',
    });
    expect((await env.request('GET', `/red-packets/${fields.auth_no}`)).status).toBe(404);
  });

  it('ends FAILED when Alipay refuses the agreement pay and shows no such pay, with nothing moved', async () => {
    env.sandbox.faults.set({ methods: { 'alipay.fund.coupon.order.agreement.pay': { refuseRate: 1 } } });
    const outOrderNo = nextOrderNo();
    const created = await env.request('POST', '/red-packet-orders', {
      outOrderNo,
      amount: '1.00',
      pay: 'agreement',
      payerUserId: '2088000000000001',
    });
    expect(created).toMatchObject({ status: 201, json: { status: 'FAILED', failure: expect.any(String) } });
    expect(created.json.authNo).toBeUndefined();
    expect(env.sandbox.ledger.allPackets().filter((packet) => packet.outOrderNo === outOrderNo)).toEqual([]);
  });

  it('refuses an agreement order without a payer, naming the field, and starts nothing', async () => {
    const outOrderNo = nextOrderNo();
    expect(
      await env.request('POST', '/red-packet-orders', { outOrderNo, amount: '1.00', pay: 'agreement' }),
    ).toMatchObject({ status: 400, json: { field: 'payerUserId' } });
    expect((await env.request('GET', `/red-packet-orders/${outOrderNo}`)).status).toBe(404);
  });
});

describe('an unpaid order', () => {
  let server: TestWorkflowEnvironment;
  beforeAll(async () => {
    server = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await server?.teardown();
  });

  it('ends EXPIRED_UNPAID after its pay timeout, with nothing moved', async () => {
    const lifecycle = await startLifecycleEnv(server.client, server.nativeConnection);
    try {
      const orders = createOrderClient(server.client, lifecycle.taskQueue);
      const outOrderNo = nextOrderNo();
      const { order } = await orders.createOrder({
        outOrderNo,
        totalFen: 500,
        pay: 'app',
        payTimeoutSeconds: 900,
        ttlMs: 3_600_000,
        packet: { split: 'fixed', shares: 5 },
      });
      expect(order).toMatchObject({ status: 'AWAITING_PAYMENT' });
      const final = await orders.handle(outOrderNo).result();
      expect(final).toMatchObject({ status: 'EXPIRED_UNPAID' });
      expect(final.authNo).toBeUndefined();
      expect(
        lifecycle.sandbox.ledger.allPackets().filter((packet) => packet.outOrderNo === outOrderNo),
      ).toEqual([]);
      await recordHistory('order-expired-unpaid', orders.handle(outOrderNo));
    } finally {
      await lifecycle.close();
    }
  }, 120_000);
});
