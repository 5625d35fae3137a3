// Faults on demand: each one does what it says, and money is conserved through all of them.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/activity';
import { settleOperation, type ExpectedOperation } from '../../activities/settle-operation';
import { agreementPay, disburse, queryOperation, refund, type FundOperation } from '../../alipay/methods';
import type { AlipayGateway } from '../../alipay/gateway';
import type { RunningSandbox } from '../../sandbox/server';
import { DROPPED } from '../../sandbox/notifier';
import { eventually } from '../helpers/lifecycle-env';
import { merchantGateway, startTestSandbox } from '../helpers/sandbox';
import { startNotifyReceiver, type NotifyReceiver } from '../helpers/notify-receiver';

let sandbox: RunningSandbox;
let gateway: AlipayGateway;
let receiver: NotifyReceiver;
let sequence = 0;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  gateway = merchantGateway(sandbox, { headersTimeoutMs: 300 });
  receiver = await startNotifyReceiver();
});
afterEach(() => sandbox.faults.set({}));
afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
  await receiver?.close();
});

async function fundedPacket(amount: number): Promise<string> {
  sequence += 1;
  const pay = await agreementPay(gateway, {
    outOrderNo: `FPAY-${sequence}`,
    outRequestNo: `FPAY-${sequence}-R`,
    orderTitle: '红包',
    amount,
    payerUserId: '2088000000000001',
  });
  return pay.authNo;
}

const disburseRequest = (authNo: string, id: string, amount: number) => ({
  outOrderNo: `FD-${authNo}-${id}`,
  deductAuthNo: authNo,
  outRequestNo: `FD-${authNo}-${id}`,
  orderTitle: '领取',
  amount,
  payeeUserId: '2088000000000002',
});

async function setFaults(body: unknown): Promise<Response> {
  return fetch(`${sandbox.url}/sandbox/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('gateway faults', () => {
  it('answers 20000 or SYSTEM_ERROR without applying the request', async () => {
    const authNo = await fundedPacket(100);
    expect(
      (await setFaults({ methods: { 'alipay.fund.coupon.order.disburse': { unavailableRate: 1 } } })).status,
    ).toBe(200);
    await expect(disburse(gateway, disburseRequest(authNo, 'u', 10))).rejects.toMatchObject({
      code: '20000',
      kind: 'transient',
    });
    sandbox.faults.set({ methods: { '*': { systemErrorRate: 1 } } });
    await expect(disburse(gateway, disburseRequest(authNo, 'u', 10))).rejects.toMatchObject({
      subCode: 'SYSTEM_ERROR',
      kind: 'transient',
    });
    expect(sandbox.ledger.packet(authNo).disbursed).toBe(0);
    sandbox.faults.set({});
    expect((await disburse(gateway, disburseRequest(authNo, 'u', 10))).status).toBe('SUCCESS');
  });

  it('adds latency', async () => {
    const authNo = await fundedPacket(100);
    sandbox.faults.set({ methods: { '*': { latencyMs: 150 } } });
    const started = Date.now();
    await disburse(gateway, disburseRequest(authNo, 'slow', 1));
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('hangs without applying, or applies and loses the response', async () => {
    const authNo = await fundedPacket(100);
    sandbox.faults.set({ methods: { '*': { hangRate: 1 } } });
    await expect(disburse(gateway, disburseRequest(authNo, 'hang', 5))).rejects.toMatchObject({
      kind: 'ambiguous',
    });
    sandbox.faults.set({ methods: { '*': { lostResponseRate: 1 } } });
    await expect(disburse(gateway, disburseRequest(authNo, 'lost', 7))).rejects.toMatchObject({
      kind: 'ambiguous',
    });
    sandbox.faults.set({});
    const { outOrderNo, outRequestNo } = disburseRequest(authNo, 'lost', 7);
    expect(await queryOperation(gateway, { outOrderNo, outRequestNo })).toMatchObject({
      status: 'SUCCESS',
      amount: 7,
    });
    await expect(queryOperation(gateway, disburseRequest(authNo, 'hang', 5))).rejects.toMatchObject({
      subCode: 'ORDER_NOT_EXIST',
    });
    expect(sandbox.ledger.packet(authNo).disbursed).toBe(7);
  });

  it('leaves a payout INIT with its amount held, then ends it SUCCESS or CLOSED as asked', async () => {
    const authNo = await fundedPacket(100);
    const held = (id: string, amount: number) => disburse(gateway, disburseRequest(authNo, id, amount));
    sandbox.faults.set({ methods: { '*': { pendingRate: 1, pendingMs: 200 } } });
    expect(await held('ends-paid', 10)).toMatchObject({ status: 'INIT', amount: 10 });
    sandbox.faults.set({ methods: { '*': { pendingRate: 1, pendingMs: 200, pendingOutcome: 'CLOSED' } } });
    expect(await held('ends-closed', 20)).toMatchObject({ status: 'INIT', amount: 20 });
    expect(sandbox.ledger.packet(authNo)).toMatchObject({ balance: 70, pending: 30, disbursed: 0 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(sandbox.ledger.packet(authNo)).toMatchObject({ balance: 90, pending: 0, disbursed: 10 });
    const statusOf = async (id: string) =>
      (await queryOperation(gateway, disburseRequest(authNo, id, 0))).status;
    expect([await statusOf('ends-paid'), await statusOf('ends-closed')]).toEqual(['SUCCESS', 'CLOSED']);
  });

  it('a payout Alipay CLOSED after the packet expired goes back to the payer as an automatic refund, recorded and notified', async () => {
    const pay = await agreementPay(
      gateway,
      {
        outOrderNo: `FPAY-late-${Date.now()}`,
        outRequestNo: `FPAY-late-${Date.now()}-R`,
        orderTitle: '红包',
        amount: 1000,
        payerUserId: '2088000000000001',
      },
      { notifyUrl: receiver.url },
    );
    const authNo = pay.authNo;
    sandbox.faults.set({ methods: { '*': { pendingRate: 1, pendingMs: 300, pendingOutcome: 'CLOSED' } } });
    await disburse(gateway, disburseRequest(authNo, 'held', 300));
    sandbox.faults.set({});
    expect(sandbox.gateway.expire(authNo)).toMatchObject({ amount: 700 });
    expect(sandbox.ledger.packet(authNo)).toMatchObject({ status: 'CLOSED', refunded: 700, pending: 300 });
    const notified = await eventually(
      async () => receiver.received.filter((fields) => fields.auth_no === authNo),
      (fields) => fields.length === 2,
      5000,
    );
    expect(notified.map((fields) => fields.amount).sort()).toEqual(['3.00', '7.00']);
    const ledger = sandbox.ledger.packet(authNo);
    expect(ledger).toMatchObject({ refunded: 1000, disbursed: 0, pending: 0, balance: 0 });
    const refunds = ledger.operations.filter((operation) => operation.operationType === 'REFUND');
    expect(refunds.map((operation) => [operation.amount, operation.status])).toEqual([
      [700, 'SUCCESS'],
      [300, 'SUCCESS'],
    ]);
  });

  it('an INIT refund keeps the packet open until it ends; ended SUCCESS, it is notified', async () => {
    const authNo = await fundedPacket(100);
    sandbox.faults.set({ methods: { '*': { pendingRate: 1, pendingMs: 300 } } });
    const pending = await refund(
      gateway,
      { authNo, outRequestNo: `FR-${authNo}`, amount: 100, remark: 'r' },
      { notifyUrl: receiver.url },
    );
    sandbox.faults.set({});
    expect(pending.status).toBe('INIT');
    expect(sandbox.ledger.packet(authNo)).toMatchObject({ status: 'OPEN', balance: 0, pending: 100 });
    const notified = await eventually(
      async () => receiver.received.filter((fields) => fields.auth_no === authNo),
      (fields) => fields.length === 1,
      5000,
    );
    expect(notified[0]).toMatchObject({ amount: '1.00', out_request_no: `FR-${authNo}` });
    expect(sandbox.ledger.packet(authNo)).toMatchObject({ status: 'CLOSED', refunded: 100, pending: 0 });
  });

  it('refuses a malformed fault setting', async () => {
    expect((await setFaults({ methods: { '*': { hangRate: 2 } } })).status).toBe(400);
    expect((await setFaults({ notify: { dropRate: 'often' } })).status).toBe(400);
    expect((await setFaults({ methods: { '*': { pendingOutcome: 'LATER' } } })).status).toBe(400);
  });
});

describe('notification faults and retries', () => {
  async function refundWithNotify(amount: number): Promise<{ authNo: string; operation: FundOperation }> {
    const authNo = await fundedPacket(amount);
    const operation = await refund(
      gateway,
      { authNo, outRequestNo: `FR-${authNo}`, amount, remark: '退回' },
      { notifyUrl: receiver.url },
    );
    return { authNo, operation };
  }

  const forPacket = (authNo: string) => receiver.received.filter((fields) => fields.auth_no === authNo);
  const dropped = async () =>
    sandbox.notifier
      .history()
      .filter((delivery) => delivery.url === receiver.url && delivery.answer === DROPPED);

  it('retries until the answer is exactly success, with the same notify_id, then stops', async () => {
    receiver.answers.push('fail', 'SUCCESS ', 'success');
    const { authNo } = await refundWithNotify(100);
    const first = await eventually(
      async () => forPacket(authNo),
      (fields) => fields.length >= 1,
      5000,
    );
    const notifyId = first[0]!.notify_id!;
    // Answered `fail`: another attempt is to come (4 min at time scale 0.001: 240 ms).
    expect(sandbox.notifier.retryPending(notifyId)).toBe(true);
    // The third attempt is answered `success`: the notifier records it and has nothing left to send.
    const answers = () =>
      Promise.resolve(
        sandbox.notifier
          .history()
          .filter((delivery) => delivery.notifyId === notifyId)
          .map((delivery) => delivery.answer),
      );
    expect(await eventually(answers, (seen) => seen.includes('success'), 10_000)).toEqual([
      'fail',
      'SUCCESS ',
      'success',
    ]);
    expect(sandbox.notifier.retryPending(notifyId)).toBe(false);
    const deliveries = forPacket(authNo);
    expect(deliveries).toHaveLength(3);
    expect(new Set(deliveries.map((fields) => fields.notify_id))).toEqual(new Set([notifyId]));
  });

  it('duplicates notifications on demand', async () => {
    sandbox.faults.set({ notify: { duplicateRate: 1 } });
    const { authNo } = await refundWithNotify(100);
    for (let i = 0; i < 100 && forPacket(authNo).length < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const deliveries = forPacket(authNo);
    expect(deliveries).toHaveLength(2);
    expect(deliveries[0]!.notify_id).toBe(deliveries[1]!.notify_id);
  });

  it('sends a notification before the response on demand', async () => {
    sandbox.faults.set({
      notify: { earlyRate: 1 },
      methods: { 'alipay.fund.coupon.order.refund': { latencyMs: 0 } },
    });
    const authNo = await fundedPacket(100);
    const countBefore = forPacket(authNo).length;
    const pending = refund(
      gateway,
      { authNo, outRequestNo: `FR-${authNo}`, amount: 100, remark: 'r' },
      { notifyUrl: receiver.url },
    );
    await pending;
    // The notification was posted before the answer was written; by the time the answer is read it has landed.
    for (let i = 0; i < 50 && forPacket(authNo).length === countBefore; i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    const history = sandbox.notifier.history().filter((delivery) => delivery.url === receiver.url);
    expect(history.length).toBeGreaterThan(0);
    expect(forPacket(authNo)).toHaveLength(1);
  });

  it('drops notifications on demand', async () => {
    sandbox.faults.set({ notify: { dropRate: 1 } });
    const droppedBefore = (await dropped()).length;
    const { authNo } = await refundWithNotify(100);
    // Sent right after the answer: recorded as dropped, never posted, no retry to come.
    const [drop] = (await eventually(dropped, (drops) => drops.length > droppedBefore, 5000)).slice(
      droppedBefore,
    );
    expect(sandbox.notifier.retryPending(drop!.notifyId)).toBe(false);
    expect(forPacket(authNo)).toHaveLength(0);
    expect(sandbox.ledger.packet(authNo).refunded).toBe(100);
  });
});

describe('a randomised run with faults on', () => {
  it('conserves money over a few hundred operations, and nothing is paid twice', async () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    sandbox.faults.set({
      methods: {
        '*': { unavailableRate: 0.2, systemErrorRate: 0.05, lostResponseRate: 0.05, hangRate: 0.02 },
      },
      notify: { dropRate: 0.1, duplicateRate: 0.1, earlyRate: 0.1 },
    });

    /** The activities' rule (`settleOperation`), retried as Temporal would; a refusal is rethrown as Alipay's error. */
    async function settle(
      send: () => Promise<FundOperation>,
      locate: { outOrderNo: string; outRequestNo: string },
      expected: ExpectedOperation,
    ) {
      for (let attempt = 1; attempt <= 50; attempt++) {
        try {
          return await settleOperation(gateway, locate, 'operation', send, attempt, expected);
        } catch (error) {
          if (error instanceof ApplicationFailure && error.nonRetryable) throw error.cause;
        }
      }
      throw new Error('never settled');
    }

    const packets: Array<{ authNo: string; outOrderNo: string; total: number; paidOut: number }> = [];
    for (let i = 0; i < 8; i++) {
      sequence += 1;
      const outOrderNo = `RPAY-${sequence}`;
      const total = 1000 + Math.floor(random() * 5000);
      const request = {
        outOrderNo,
        outRequestNo: `${outOrderNo}-R`,
        orderTitle: '红包',
        amount: total,
        payerUserId: '2088000000000001',
      };
      const pay = await settle(() => agreementPay(gateway, request), request, {
        operationType: 'PAY',
        amountFen: total,
      });
      packets.push({ authNo: pay.authNo, outOrderNo, total, paidOut: 0 });
    }

    let operations = 0;
    let refusals = 0;
    for (let i = 0; i < 240; i++) {
      const packet = packets[Math.floor(random() * packets.length)]!;
      const amount = 1 + Math.floor(random() * 150);
      const request = disburseRequest(packet.authNo, `r${i}`, amount);
      try {
        const result = await settle(() => disburse(gateway, request), request, {
          operationType: 'DISBURSE',
          amountFen: amount,
          payeeUserId: request.payeeUserId,
        });
        packet.paidOut += result.amount;
        operations += 1;
      } catch (error) {
        expect(error).toMatchObject({
          subCode: expect.stringMatching(/MONEY_NOT_ENOUGH|ORDER_ALREADY_CLOSED/),
        });
        refusals += 1;
      }
    }
    for (const packet of packets) {
      const balance = sandbox.ledger.packet(packet.authNo).balance;
      if (balance === 0) continue;
      const request = { outOrderNo: packet.outOrderNo, outRequestNo: `RREF-${packet.authNo}` };
      await settle(
        () =>
          refund(
            gateway,
            { authNo: packet.authNo, outRequestNo: request.outRequestNo, amount: balance, remark: '退回' },
            { notifyUrl: receiver.url },
          ),
        request,
        { operationType: 'REFUND', amountFen: balance },
      );
    }
    sandbox.faults.set({});

    expect(operations + refusals).toBe(240);
    expect(operations).toBeGreaterThan(100);
    for (const packet of packets) {
      const ledger = sandbox.ledger.packet(packet.authNo);
      expect(ledger.funded).toBe(packet.total);
      expect(ledger.disbursed).toBe(packet.paidOut); // what we believe was paid is what was paid: none twice
      expect(ledger.disbursed + ledger.refunded).toBe(packet.total);
      expect(ledger.balance).toBe(0);
      const requestNumbers = ledger.operations.map(
        (operation) => `${operation.outOrderNo}/${operation.outRequestNo}`,
      );
      expect(new Set(requestNumbers).size).toBe(requestNumbers.length);
    }
  }, 120_000);
});
