// Alipay's call limits: beyond so many calls of a method per second it answers 40005 and
// applies nothing. The sandbox enforces them; our gateway client takes 40005 as transient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { agreementPay, disburse } from '../../alipay/methods';
import type { AlipayGateway } from '../../alipay/gateway';
import { classifyFailure } from '../../alipay/errors';
import type { RunningSandbox } from '../../sandbox/server';
import { DEFAULT_CALL_LIMITS } from '../../sandbox/call-limits';
import { merchantGateway, startTestSandbox } from '../helpers/sandbox';

const DISBURSE = 'alipay.fund.coupon.order.disburse';
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

/** Waits for the start of a clock second, so a burst falls into one second's count. */
async function startOfSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 5);
}

async function putLimits(body: unknown): Promise<Response> {
  return fetch(`${sandbox.url}/sandbox/call-limits`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe("Alipay's call limits in the sandbox", () => {
  it('default to 100 calls a second for payouts and refunds, as Alipay allows a merchant', async () => {
    const current = (await (await fetch(`${sandbox.url}/sandbox/call-limits`)).json()) as { limits: object };
    expect(current.limits).toEqual(DEFAULT_CALL_LIMITS);
    expect(current.limits).toEqual({ [DISBURSE]: 100, 'alipay.fund.coupon.order.refund': 100 });
  });

  it('answer calls over the limit 40005 isv.method-call-limited, signed, applying nothing; the next second takes them', async () => {
    const pay = await agreementPay(gateway, {
      outOrderNo: 'LIMIT-1',
      outRequestNo: 'LIMIT-1-R',
      orderTitle: 'limits',
      amount: 1000,
      payerUserId: '2088000000000001',
    });
    expect((await putLimits({ [DISBURSE]: 2 })).status).toBe(200);
    const request = (index: number) => ({
      outOrderNo: `LIMIT-D${index}`,
      deductAuthNo: pay.authNo,
      outRequestNo: `LIMIT-D${index}`,
      orderTitle: 'limits',
      amount: 100,
      payeeUserId: `2088${String(index).padStart(12, '0')}`,
    });
    await startOfSecond();
    const answers = await Promise.allSettled(
      [0, 1, 2, 3, 4].map((index) => disburse(gateway, request(index))),
    );
    const limited = answers.flatMap((answer, index) =>
      answer.status === 'rejected' ? [{ index, error: answer.reason as unknown }] : [],
    );
    expect(answers.filter((answer) => answer.status === 'fulfilled')).toHaveLength(2);
    expect(limited).toHaveLength(3);
    for (const { error } of limited)
      expect(error).toMatchObject({ code: '40005', subCode: 'isv.method-call-limited', kind: 'transient' });
    // Refused calls changed nothing: only the two taken are in Alipay's books.
    const ledger = sandbox.ledger.packet(pay.authNo);
    expect(ledger.disbursed).toBe(200);
    expect(ledger.balance).toBe(800);
    for (const { index } of limited)
      expect(ledger.operations.some((operation) => operation.outRequestNo === `LIMIT-D${index}`)).toBe(false);

    // Sent again, each in a second of its own (the limit is 2 a second), they are taken.
    for (const { index } of limited) {
      await startOfSecond();
      expect((await disburse(gateway, request(index))).status).toBe('SUCCESS');
    }
    expect(sandbox.ledger.packet(pay.authNo)).toMatchObject({ disbursed: 500, balance: 500 });
    const current = (await (await fetch(`${sandbox.url}/sandbox/call-limits`)).json()) as {
      refused: Record<string, number>;
    };
    expect(current.refused[DISBURSE]).toBe(3);
  });

  it('refuse a limit that is not a whole number of calls or names no method the sandbox serves, keeping the old ones', async () => {
    expect((await putLimits({ [DISBURSE]: 7 })).status).toBe(200);
    for (const bad of [
      { [DISBURSE]: 0 },
      { [DISBURSE]: 1.5 },
      { [DISBURSE]: '7' },
      { 'alipay.nope': 1 },
      [1],
    ]) {
      const response = await putLimits(bad);
      expect(response.status, JSON.stringify(bad)).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(/limit|method|object/);
    }
    const current = (await (await fetch(`${sandbox.url}/sandbox/call-limits`)).json()) as { limits: object };
    expect(current.limits).toEqual({ [DISBURSE]: 7 });
  });
});

describe('our gateway client', () => {
  it('takes 40005 (app or method over its call limit) as transient: the same request is sent again later', () => {
    expect(classifyFailure('40005', 'isv.app-call-limited')).toBe('transient');
    expect(classifyFailure('40005', 'isv.method-call-limited')).toBe('transient');
    // and a permanent refusal stays permanent
    expect(classifyFailure('40004', 'PAYEE_ACCOUNT_STATUS_ERROR')).toBe('permanent');
  });
});
