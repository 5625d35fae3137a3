// A packet opens only on money Alipay holds (DESIGN.md section 3): every registration that
// Alipay does not back ends REJECTED with its reason, accepts no claim and moves no money.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { appPayOrderString, disburse, refund } from '../../alipay/methods';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { connectToDevServer, createTimeSkippingEnv, type DevServerHandles } from '../harness/temporal';
import { recordHistory } from '../helpers/history';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';
import { eventually, startLifecycleEnv } from '../helpers/lifecycle-env';
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter, WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import {
  RED_PACKET_STATUS,
  stateQuery,
  WORKFLOW_TYPE,
  workflowIdFor,
  type RedPacketInput,
  type RedPacketState,
} from '../../workflows/messages';
import { requestTagFor } from '../../workflows/request-numbers';

let temporal: DevServerHandles;
let env: HttpEnv;

beforeAll(async () => {
  temporal = await connectToDevServer();
  env = await startHttpEnv(temporal.nativeConnection);
});
afterEach(() => env.sandbox.faults.set({}));
afterAll(async () => {
  await env?.close();
  await temporal?.close();
});

const QUERY = 'alipay.fund.coupon.operation.query';

/**
 * Ends the packet's lifecycle and starts a second one for its auth_no, as a create would once the
 * first one's history is past retention (the dev server cannot delete a history on demand, so this
 * start allows the id's reuse that retention would). Its funding is checked as any new packet's.
 */
async function startSecondLifecycle(authNo: string): Promise<WorkflowHandle> {
  const workflowId = workflowIdFor(authNo);
  const first = temporal.client.workflow.getHandle(workflowId);
  const started = (await first.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = defaultPayloadConverter.fromPayload<RedPacketInput>(started!.input!.payloads![0]!);
  await first.terminate('test: the history goes past retention');
  return temporal.client.workflow.start(WORKFLOW_TYPE, {
    taskQueue: env.taskQueue,
    workflowId,
    args: [{ ...input, requestTag: requestTagFor(randomUUID()) }],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
}

/** A refused registration: 422 with the reason, REJECTED, no claim taken, nothing moved at Alipay. */
async function expectRejected(body: Record<string, unknown>, reason: string): Promise<void> {
  const authNo = String(body.authNo);
  const money = () => {
    const packet = env.sandbox.ledger.findPacket(authNo);
    return packet && { ...packet, operations: packet.operations.length };
  };
  const before = money();
  const created = await env.request('POST', '/red-packets', {
    split: 'fixed',
    shares: 2,
    ttlSeconds: 600,
    ...body,
  });
  expect(created).toMatchObject({ status: 422, json: { reason } });
  const state = await env.request('GET', `/red-packets/${authNo}`);
  expect(state.json).toMatchObject({ status: 'REJECTED', rejection: { reason }, claims: [], refund: null });
  const claim = await env.request('POST', `/red-packets/${authNo}/claims`, {
    claimId: 'after-rejection',
    payeeUserId: '2088000000000099',
  });
  expect(claim).toMatchObject({ status: 409, json: { reason: 'PACKET_NOT_OPEN' } });
  expect(money()).toEqual(before); // nothing moved at Alipay, not even a refund attempt
}

describe('funding verified before a packet opens', () => {
  it('a second lifecycle of an auth_no whose first payout Alipay shows is refused FUNDING_SPENT and pays nobody', async () => {
    const funded = await env.fund(300);
    const body = { ...funded, amount: '3.00', shares: 3, split: 'fixed', ttlSeconds: 600 };
    expect((await env.request('POST', '/red-packets', body)).status).toBe(201);
    const claimed = await env.request('POST', `/red-packets/${funded.authNo}/claims`, {
      claimId: 'first-life',
      payeeUserId: '2088000000000001',
    });
    expect(claimed.status).toBe(200);
    await eventually(
      () => temporal.client.workflow.getHandle(workflowIdFor(funded.authNo)).query(stateQuery),
      (state) => state.claims[0]?.status === 'PAID',
    );
    const operationsBefore = env.sandbox.ledger.packet(funded.authNo).operations.length;
    const second = await startSecondLifecycle(funded.authNo);
    expect(await second.result()).toMatchObject({
      status: 'REJECTED',
      rejection: { reason: 'FUNDING_SPENT', detail: expect.stringContaining(funded.authNo) },
    });
    const claim = await env.request('POST', `/red-packets/${funded.authNo}/claims`, {
      claimId: 'second-life',
      payeeUserId: '2088000000000002',
    });
    expect(claim).toMatchObject({ status: 409, json: { reason: 'PACKET_NOT_OPEN' } });
    expect(env.sandbox.ledger.packet(funded.authNo)).toMatchObject({
      disbursed: 100,
      refunded: 0,
      balance: 200,
    });
    expect(env.sandbox.ledger.packet(funded.authNo).operations).toHaveLength(operationsBefore);
  });

  it('a second lifecycle never takes the first one’s payouts for its own: its request numbers are its own', async () => {
    // The first lifecycle's first payout was refused, so Alipay shows no mark of it and a second
    // lifecycle opens; the first one's second payout (2.50 to one payee) is at Alipay.
    const funded = await env.fund(1000);
    const body = { ...funded, amount: '10.00', split: 'claimant', ttlSeconds: 600 };
    const claimOn = (claimId: string, payeeUserId: string, amount: string) =>
      env.request('POST', `/red-packets/${funded.authNo}/claims`, { claimId, payeeUserId, amount });
    const packetState = () =>
      temporal.client.workflow.getHandle(workflowIdFor(funded.authNo)).query(stateQuery);
    expect((await env.request('POST', '/red-packets', body)).status).toBe(201);
    env.sandbox.faults.set({ methods: { 'alipay.fund.coupon.order.disburse': { refuseRate: 1 } } });
    expect((await claimOn('a', '2088000000000011', '1.00')).status).toBe(200);
    await eventually(packetState, (state) => state.claims[0]?.status === 'FAILED');
    env.sandbox.faults.set({});
    expect((await claimOn('x', '2088000000000012', '2.50')).status).toBe(200);
    await eventually(packetState, (state) => state.claims[1]?.status === 'PAID');

    await startSecondLifecycle(funded.authNo);
    await eventually(packetState, (state) => state.status === 'OPEN');
    expect((await claimOn('b', '2088000000000013', '1.00')).status).toBe(200);
    expect((await claimOn('x', '2088000000000012', '2.50')).status).toBe(200);
    const second = await eventually(
      packetState,
      (state) => state.claims.length === 2 && state.claims.every((claim) => claim.status === 'PAID'),
    );
    expect(second.paidFen).toBe(350);
    // Two payouts to X at Alipay, each under its own lifecycle's number: none was taken for another.
    const payoutsToX = env.sandbox.ledger
      .packet(funded.authNo)
      .operations.filter((operation) => operation.payeeUserId === '2088000000000012');
    expect(payoutsToX.map((operation) => operation.amount)).toEqual([250, 250]);
    expect(new Set(payoutsToX.map((operation) => operation.outRequestNo)).size).toBe(2);
    expect(env.sandbox.ledger.packet(funded.authNo)).toMatchObject({ disbursed: 600, balance: 400 });
    await temporal.client.workflow.getHandle(workflowIdFor(funded.authNo)).terminate('test done');
  });

  it('opens a registration Alipay backs, named by operation id or by the pay’s out_request_no', async () => {
    const byId = await env.fund(300);
    expect(
      await env.request('POST', '/red-packets', { ...byId, amount: '3.00', shares: 3, split: 'fixed' }),
    ).toMatchObject({ status: 201, json: { status: 'OPEN' } });
    const { payOperationId: _unused, ...byRequest } = await env.fund(200);
    const outRequestNo = `${byRequest.outOrderNo}P`;
    const created = await env.request('POST', '/red-packets', {
      ...byRequest,
      payOutRequestNo: outRequestNo,
      amount: '2.00',
      shares: 2,
      split: 'fixed',
    });
    expect(created).toMatchObject({ status: 201, json: { status: 'OPEN' } });
    const claim = await env.request('POST', `/red-packets/${byRequest.authNo}/claims`, {
      claimId: 'c1',
      payeeUserId: '2088000000000001',
    });
    expect(claim).toMatchObject({ status: 200, json: { amount: '1.00' } });
    await env.request('POST', `/red-packets/${byRequest.authNo}/refund`);
    const final = await eventually(
      () => env.request('GET', `/red-packets/${byRequest.authNo}`),
      (response) => response.json.status === 'COMPLETED',
    );
    expect(final.json).toMatchObject({ status: 'COMPLETED', claimed: '1.00', refunded: '1.00' });
    expect(env.sandbox.ledger.packet(byRequest.authNo)).toMatchObject({
      funded: 200,
      disbursed: 100,
      refunded: 100,
    });
    await recordHistory(
      'bounded-funding-verified-then-lifecycle',
      temporal.client.workflow.getHandle(`red-packet-${byRequest.authNo}`),
    );
  });

  it('rejects more than the funded amount', async () => {
    const funded = await env.fund(100);
    await expectRejected({ ...funded, amount: '100000000.00' }, 'FUNDING_AMOUNT_MISMATCH');
    await recordHistory(
      'bounded-funding-amount-mismatch-rejected',
      temporal.client.workflow.getHandle(`red-packet-${funded.authNo}`),
    );
  });

  it('rejects less than the funded amount too: the books must equal Alipay’s', async () => {
    const funded = await env.fund(100);
    await expectRejected({ ...funded, amount: '0.50' }, 'FUNDING_AMOUNT_MISMATCH');
  });

  it('rejects a made-up auth_no', async () => {
    await expectRejected(
      { authNo: `MADEUP${Date.now()}`, outOrderNo: 'NOPE1', payOperationId: 'NOPE1', amount: '1.00' },
      'FUNDING_NOT_FOUND',
    );
  });

  it('rejects an auth_no registered with another pay’s out_order_no, either way it is named', async () => {
    const mine = await env.fund(100);
    const other = await env.fund(100);
    await expectRejected({ ...mine, outOrderNo: other.outOrderNo, amount: '1.00' }, 'FUNDING_ORDER_MISMATCH');
    const { payOperationId: _unused, ...third } = await env.fund(100);
    await expectRejected(
      { ...third, outOrderNo: other.outOrderNo, payOutRequestNo: `${other.outOrderNo}P`, amount: '1.00' },
      'FUNDING_ORDER_MISMATCH',
    );
  });

  it('rejects a pay that is not SUCCESS (an app pay nobody paid)', async () => {
    const outOrderNo = `UNPAID${Date.now()}`;
    const signed = appPayOrderString(env.gateway, {
      outOrderNo,
      outRequestNo: `${outOrderNo}P`,
      orderTitle: 'unpaid',
      amount: 100,
    });
    const response = await fetch(env.sandbox.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: signed,
    });
    const node = ((await response.json()) as Record<string, Record<string, string>>)
      .alipay_fund_coupon_order_app_pay_response!;
    await expectRejected(
      { authNo: node.auth_no, outOrderNo, payOperationId: node.operation_id, amount: '1.00' },
      'FUNDING_NOT_SUCCESS',
    );
  });

  it('rejects a pay that was refunded, even though Alipay still shows it SUCCESS', async () => {
    const funded = await env.fund(200);
    await refund(env.gateway, {
      authNo: funded.authNo,
      outRequestNo: `R${funded.outOrderNo}`,
      amount: 200,
      remark: 'refunded before registration',
    });
    await expectRejected({ ...funded, amount: '2.00' }, 'FUNDING_REFUNDED');
  });

  it('rejects a refund’s operation id on the same order (not a pay)', async () => {
    const funded = await env.fund(200);
    const refunded = await refund(env.gateway, {
      authNo: funded.authNo,
      outRequestNo: `R${funded.outOrderNo}`,
      amount: 50,
      remark: 'partial refund',
    });
    const created = await env.request('POST', '/red-packets', {
      ...funded,
      payOperationId: refunded.operationId,
      amount: '1.50',
      shares: 1,
      split: 'fixed',
    });
    expect(created).toMatchObject({ status: 422, json: { reason: 'FUNDING_NOT_PAY' } });
  });

  it('answers a repeated create from the state, adding nothing to the history', async () => {
    const funded = await env.fund(200);
    const body = { ...funded, amount: '2.00', shares: 2, split: 'fixed' };
    expect((await env.request('POST', '/red-packets', body)).status).toBe(201);
    const handle = temporal.client.workflow.getHandle(`red-packet-${funded.authNo}`);
    const before = (await handle.fetchHistory()).events?.length;
    for (let i = 0; i < 3; i++)
      expect(await env.request('POST', '/red-packets', body)).toMatchObject({
        status: 200,
        json: { status: 'OPEN' },
      });
    expect((await handle.fetchHistory()).events?.length).toBe(before);
    await handle.terminate('an operator ended it');
    expect(await env.request('POST', '/red-packets', body)).toMatchObject({
      status: 409,
      json: { error: expect.stringContaining('ended without completing') },
    });
  });

  it('rejects an operation that is not a pay (a disbursement’s id)', async () => {
    const funded = await env.fund(100);
    const payout = await disburse(env.gateway, {
      outOrderNo: `D${funded.outOrderNo}`,
      deductAuthNo: funded.authNo,
      outRequestNo: `D${funded.outOrderNo}1`,
      orderTitle: 'a payout',
      amount: 10,
      payeeUserId: '2088000000000002',
    });
    const created = await env.request('POST', '/red-packets', {
      ...funded,
      payOperationId: payout.operationId,
      amount: '1.00',
      shares: 2,
      split: 'fixed',
    });
    expect(created).toMatchObject({ status: 422, json: { reason: 'FUNDING_NOT_PAY' } });
    expect(env.sandbox.ledger.packet(funded.authNo)).toMatchObject({ disbursed: 10, refunded: 0 });
  });

  it('waits out an Alipay outage: VERIFYING_FUNDING refuses claims, then the packet opens', async () => {
    env.sandbox.faults.set({ methods: { [QUERY]: { unavailableRate: 1 } } });
    const funded = await env.fund(200);
    const created = await env.request('POST', '/red-packets', {
      ...funded,
      amount: '2.00',
      shares: 2,
      split: 'fixed',
    });
    expect(created).toMatchObject({ status: 201, json: { status: 'VERIFYING_FUNDING' } });
    const handle = temporal.client.workflow.getHandle(`red-packet-${funded.authNo}`);
    const listed = (await handle.describe()).typedSearchAttributes.get(RED_PACKET_STATUS);
    expect(listed).toBe('VERIFYING_FUNDING');
    const early = await env.request('POST', `/red-packets/${funded.authNo}/claims`, {
      claimId: 'early',
      payeeUserId: '2088000000000003',
    });
    expect(early).toMatchObject({ status: 409, json: { reason: 'PACKET_NOT_OPEN' } });
    env.sandbox.faults.set({});
    const opened = await eventually(
      () => env.request('GET', `/red-packets/${funded.authNo}`),
      (response) => response.json.status === 'OPEN',
      60_000,
    );
    expect(opened.json).toMatchObject({ status: 'OPEN', claims: [] });
    const history = await temporal.client.workflow.getHandle(`red-packet-${funded.authNo}`).fetchHistory();
    const updates = history.events
      ?.map((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
      .filter((name) => name !== undefined);
    // Only the creator's wait (re-sent once its deadline passed); the refused claim left no trace.
    expect(updates?.length).toBeGreaterThan(0);
    expect(new Set(updates)).toEqual(new Set(['fundingSettled']));
    await env.request('POST', `/red-packets/${funded.authNo}/refund`);
  }, 90_000);
});

describe('funding never verified', () => {
  let server: TestWorkflowEnvironment;
  beforeAll(async () => {
    server = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await server?.teardown();
  });

  it('ends REJECTED with FUNDING_UNVERIFIED once the retries run out, never OPEN', async () => {
    const lifecycle = await startLifecycleEnv(server.client, server.nativeConnection, {
      faults: { methods: { [QUERY]: { unavailableRate: 1 } } },
    });
    try {
      const { authNo } = await lifecycle.fundAndStart({
        totalFen: 500,
        split: 'fixed',
        shares: 5,
        ttlMs: 3_600_000,
        fundingWaitMs: 100,
      });
      const final = (await lifecycle.packets.handle(authNo).result()) as RedPacketState;
      expect(final).toMatchObject({
        status: 'REJECTED',
        rejection: { reason: 'FUNDING_UNVERIFIED' },
        claims: [],
      });
      expect(lifecycle.sandbox.ledger.packet(authNo)).toMatchObject({
        funded: 500,
        disbursed: 0,
        refunded: 0,
      });
      const history = await lifecycle.packets.handle(authNo).fetchHistory();
      const attempts = history.events?.find((event) => event.activityTaskStartedEventAttributes)
        ?.activityTaskStartedEventAttributes?.attempt;
      expect(attempts).toBe(20);
      await recordHistory('bounded-funding-unverified-rejected', lifecycle.packets.handle(authNo));
    } finally {
      await lifecycle.close();
    }
  }, 120_000);
});
