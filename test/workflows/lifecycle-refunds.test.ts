// Refunds and notifications under faults, on the shared dev server with the sandbox gateway.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { temporal as proto } from '@temporalio/proto';
import { formatFen } from '../../alipay/money';
import { disburse } from '../../alipay/methods';
import { buildSignContent, signRsa2 } from '../../alipay/sign';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { eventually, startLifecycleEnv, type LifecycleEnv } from '../helpers/lifecycle-env';
import { expectConserved } from '../helpers/conservation';
import { eventTypes, recordHistory } from '../helpers/history';
import { detailLines, uiMetadata } from '../helpers/ui-metadata';
import { RED_PACKET_STATUS, type RedPacketState } from '../../workflows/messages';

const EventType = proto.api.enums.v1.EventType;

let temporal: DevServerHandles;
let env: LifecycleEnv;

beforeAll(async () => {
  temporal = await connectToDevServer();
  env = await startLifecycleEnv(temporal.client, temporal.nativeConnection);
});
afterEach(() => env.sandbox.faults.set({}));
afterAll(async () => {
  await env?.close();
  await temporal?.close();
});

const payee = (i: number) => ({ payeeUserId: `2088${String(i).padStart(12, '0')}` });
const result = (authNo: string) => env.packets.handle(authNo).result() as Promise<RedPacketState>;
const REFUND = 'alipay.fund.coupon.order.refund';
const requestsFor = (method: string, authNo: string) =>
  env.sandbox.gateway.requests.filter(
    (request) => request.method === method && request.outRequestNo?.includes(authNo) === true,
  );

/** Posts a notification signed with the sandbox's Alipay key to our webhook, as Alipay would. */
async function postNotification(fields: Record<string, string>): Promise<string> {
  const params = { notify_type: 'fund_stdtrustee_refund.success', app_id: env.sandbox.keys.appId, ...fields };
  const sign = signRsa2(buildSignContent(params, ['sign', 'sign_type']), env.sandbox.keys.alipayPrivateKey);
  const response = await fetch(env.webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, sign_type: 'RSA2', sign }).toString(),
  });
  return response.text();
}

async function openPacketWithClaim(options: { refundNotifyWaitMs?: number } = {}) {
  const started = await env.fundAndStart({ totalFen: 1000, split: 'claimant', ttlMs: 60_000, ...options });
  await env.packets.claim(started.authNo, { claimId: 'c1', ...payee(1), amountFen: 300 });
  await eventually(
    () => env.packets.getState(started.authNo),
    (state) => state.claims[0]?.status === 'PAID',
  );
  return started;
}

describe('refund notifications', () => {
  it('keeps a notification that arrives before the refund activity returns', async () => {
    env.sandbox.faults.set({ notify: { earlyRate: 1 } });
    const { authNo } = await openPacketWithClaim();
    await env.packets.closeNow(authNo);
    const final = await result(authNo);
    expect(final.refund).toMatchObject({ amountFen: 700, status: 'SUCCESS', source: 'MERCHANT' });
    const events = (await env.packets.handle(authNo).fetchHistory()).events ?? [];
    const notified = events.findIndex(
      (event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'alipayNotify',
    );
    const refundScheduled = events.find(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'refundRemainder',
    );
    const refundCompleted = events.findIndex(
      (event) =>
        event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
        Number(event.activityTaskCompletedEventAttributes?.scheduledEventId) ===
          Number(refundScheduled?.eventId),
    );
    expect(notified).toBeGreaterThan(-1);
    expect(notified).toBeLessThan(refundCompleted);
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-early-refund-notification', env.packets.handle(authNo));
  });

  it('takes each notify_id once: a repeat is dropped even when its content would change the outcome', async () => {
    env.sandbox.faults.set({ notify: { dropRate: 1 } });
    const { authNo, input } = await openPacketWithClaim({ refundNotifyWaitMs: 120_000 });
    await env.packets.closeNow(authNo);
    const sent = await eventually(
      () => env.packets.getState(authNo),
      (state) => state.refund?.status === 'SENT',
    );
    const confirmation = {
      auth_no: authNo,
      out_request_no: sent.refund!.outRequestNo,
      status: 'SUCCESS',
      operation_type: 'REFUND',
      out_order_no: input.outOrderNo,
    };
    // Alipay's retry of a notification ignored for its amount is ignored once, not once per retry.
    for (let delivery = 0; delivery < 3; delivery++)
      expect(await postNotification({ notify_id: 'repeated', ...confirmation, amount: '7.01' })).toBe(
        'success',
      );
    // The same notify_id with the right amount is still that notification: dropped.
    expect(await postNotification({ notify_id: 'repeated', ...confirmation, amount: '7.00' })).toBe(
      'success',
    );
    const waiting = await env.packets.getState(authNo);
    expect(waiting.status).toBe('AWAITING_REFUND_NOTIFY');
    expect(waiting.ignoredNotifications.map((notice) => notice.notifyId)).toEqual(['repeated']);
    expect(await postNotification({ notify_id: 'fresh', ...confirmation, amount: '7.00' })).toBe('success');
    const final = await result(authNo);
    expect(final.refund).toMatchObject({ status: 'SUCCESS', amountFen: 700, source: 'MERCHANT' });
    expect(final.refund!.outRequestNo).toMatch(/^RL[0-9A-Z]{6}/);
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-tagged-numbers-notify-id-once', env.packets.handle(authNo));
  });

  it('records and ignores a notification with the wrong amount or out_request_no', async () => {
    env.sandbox.faults.set({ notify: { dropRate: 1 } });
    const { authNo, input } = await openPacketWithClaim({ refundNotifyWaitMs: 120_000 });
    await env.packets.closeNow(authNo);
    const sent = await eventually(
      () => env.packets.getState(authNo),
      (state) => state.refund?.status === 'SENT',
    );
    const ours = sent.refund!.outRequestNo;
    const complete = { operation_type: 'REFUND', out_order_no: input.outOrderNo };
    expect(
      await postNotification({
        notify_id: 'wrong-amount',
        auth_no: authNo,
        out_request_no: ours,
        amount: '7.01',
        status: 'SUCCESS',
        ...complete,
      }),
    ).toBe('success');
    expect(
      await postNotification({
        notify_id: 'wrong-number',
        auth_no: authNo,
        out_request_no: 'SOMEONE-ELSE',
        amount: '7.00',
        status: 'SUCCESS',
        ...complete,
      }),
    ).toBe('success');
    const waiting = await env.packets.getState(authNo);
    expect(waiting.status).toBe('AWAITING_REFUND_NOTIFY');
    expect(waiting.ignoredNotifications.map((notice) => notice.notifyId)).toEqual([
      'wrong-amount',
      'wrong-number',
    ]);
    // Right number and amount, but a field missing or not this packet's: recorded, ignored.
    const right = {
      auth_no: authNo,
      out_request_no: ours,
      amount: formatFen(700),
      status: 'SUCCESS',
      ...complete,
    };
    const { status: _status, ...noStatus } = right;
    const { operation_type: _type, ...noType } = right;
    for (const [notifyId, fields] of [
      ['no-status', noStatus],
      ['no-operation-type', noType],
      ['pay-not-refund', { ...right, operation_type: 'DISBURSE' }],
      ['other-order', { ...right, out_order_no: 'SOMEONE-ELSES-ORDER' }],
    ] as const) {
      expect(await postNotification({ notify_id: notifyId, ...fields })).toBe('success');
    }
    const still = await env.packets.getState(authNo);
    expect(still.status).toBe('AWAITING_REFUND_NOTIFY');
    expect(still.ignoredNotifications.map((notice) => [notice.notifyId, notice.reason])).toEqual([
      ['wrong-amount', expect.stringContaining('amount')],
      ['wrong-number', expect.stringContaining('out_request_no')],
      ['no-status', 'no status'],
      ['no-operation-type', expect.stringContaining('operation_type')],
      ['pay-not-refund', expect.stringContaining('operation_type DISBURSE')],
      ['other-order', expect.stringContaining('out_order_no')],
    ]);
    expect(await postNotification({ notify_id: 'right', ...right })).toBe('success');
    const final = await result(authNo);
    expect(final.refund).toMatchObject({ status: 'SUCCESS', amountFen: 700 });
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-refund-notice-fields-checked', env.packets.handle(authNo));
  });

  it('accepts Alipay’s automatic timeout refund as the refund of the remainder', async () => {
    const { authNo } = await openPacketWithClaim();
    await eventually(
      () => env.packets.getState(authNo),
      (state) => state.claims[0]?.status === 'PAID',
    );
    const expired = await fetch(`${env.sandbox.url}/sandbox/packets/${authNo}/expire`, { method: 'POST' });
    expect(((await expired.json()) as { refunded: string }).refunded).toBe('7.00');
    const final = await result(authNo);
    expect(final.refund).toMatchObject({ amountFen: 700, status: 'SUCCESS', source: 'ALIPAY_TIMEOUT' });
    expect(requestsFor(REFUND, authNo)).toHaveLength(0); // no refund call of ours
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-alipay-timeout-refund', env.packets.handle(authNo));
  });

  it('settles on Alipay’s timeout refund when its notification is lost and our refund finds the packet closed', async () => {
    env.sandbox.faults.set({ notify: { dropRate: 1 } });
    const { authNo } = await openPacketWithClaim();
    const expired = await fetch(`${env.sandbox.url}/sandbox/packets/${authNo}/expire`, { method: 'POST' });
    expect(((await expired.json()) as { refunded: string }).refunded).toBe('7.00');
    expect((await env.packets.getState(authNo)).status).toBe('OPEN'); // nothing told the workflow
    await env.packets.closeNow(authNo);
    const final = await result(authNo);
    expect(final.refund).toMatchObject({ amountFen: 700, status: 'SUCCESS', source: 'ALIPAY_TIMEOUT' });
    const refunds = requestsFor(REFUND, authNo);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]?.outcome).toContain('ORDER_ALREADY_CLOSED');
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-refund-closed-proven-by-query', env.packets.handle(authNo));
  });

  it('ORDER_ALREADY_CLOSED with Alipay refunding another figure than our remainder blocks as UNRECONCILED, both figures shown', async () => {
    env.sandbox.faults.set({ notify: { dropRate: 1 } });
    const { authNo } = await openPacketWithClaim(); // 10.00 funded, 3.00 paid: our remainder 7.00
    // 1.00 leaves the packet behind our back, then Alipay refunds the 6.00 left at its expiry.
    await disburse(env.gateway, {
      outOrderNo: `ELSEWHERE${authNo}`,
      deductAuthNo: authNo,
      outRequestNo: `ELSEWHERE${authNo}`,
      orderTitle: 'paid by someone else',
      amount: 100,
      payeeUserId: '2088000000000099',
    });
    const expired = await fetch(`${env.sandbox.url}/sandbox/packets/${authNo}/expire`, { method: 'POST' });
    expect(((await expired.json()) as { refunded: string }).refunded).toBe('6.00');
    await env.packets.closeNow(authNo);
    const blocked = await eventually(
      () => env.packets.getState(authNo),
      (state) => state.status === 'REFUND_BLOCKED',
    );
    expect(blocked.status).toBe('REFUND_BLOCKED');
    expect(blocked.refund).toMatchObject({
      status: 'BLOCKED',
      reason: 'UNRECONCILED',
      amountFen: 700,
      alipayRefundedFen: 600,
      failure: expect.stringContaining('600 fen refunded; our remainder is 700 fen'),
    });
    expect(blocked.refundedFen).toBe(0); // nothing booked that Alipay did not show for our figure
    // An operator's retry meets the same closed packet and the same figures: still blocked.
    await env.packets.retryRefund(authNo);
    await eventually(
      () =>
        requestsFor(REFUND, authNo).length === 2 ? env.packets.getState(authNo) : Promise.resolve(undefined),
      (state) => state?.status === 'REFUND_BLOCKED',
    );
    expect((await env.packets.getState(authNo)).refund).toMatchObject({
      reason: 'UNRECONCILED',
      alipayRefundedFen: 600,
    });
    expect(
      detailLines((await uiMetadata(env.packets.handle(authNo))).currentDetails).get('Next step'),
    ).toContain('Alipay refunded 6.00 yuan, our remainder is 7.00 yuan');
    expect(env.sandbox.ledger.packet(authNo)).toMatchObject({
      funded: 1000,
      disbursed: 400,
      refunded: 600,
      balance: 0,
    });
    await recordHistory('bounded-refund-closed-unreconciled', env.packets.handle(authNo));
    await env.packets.handle(authNo).terminate('test done: an operator would reconcile by hand');
  });

  it('completes by operation query when no notification ever arrives', async () => {
    env.sandbox.faults.set({ notify: { dropRate: 1 } });
    const { authNo } = await openPacketWithClaim({ refundNotifyWaitMs: 1000 });
    await env.packets.closeNow(authNo);
    const final = await result(authNo);
    expect(final.refund).toMatchObject({ status: 'SUCCESS', amountFen: 700 });
    const history = await env.packets.handle(authNo).fetchHistory();
    expect(
      history.events?.some(
        (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'queryOperation',
      ),
    ).toBe(true);
    // OPEN (once funding is verified), AWAITING_REFUND_NOTIFY and COMPLETED, plus Temporal's own
    // TemporalChangeVersion for the funding check's patch marker and for the request tag's.
    expect(
      eventTypes(history).filter((type) => type === 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES'),
    ).toHaveLength(5);
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-refund-confirmed-by-query', env.packets.handle(authNo));
  });
});

describe('Alipay failures', () => {
  it('a disbursement refused for good releases its reservation', async () => {
    const { authNo } = await env.fundAndStart({ totalFen: 1000, split: 'fixed', shares: 2, ttlMs: 60_000 });
    env.sandbox.faults.set({ methods: { 'alipay.fund.coupon.order.disburse': { refuseRate: 1 } } });
    expect(await env.packets.claim(authNo, { claimId: 'refused', ...payee(1) })).toMatchObject({
      accepted: true,
      amountFen: 500,
    });
    const afterFailure = await eventually(
      () => env.packets.getState(authNo),
      (state) => state.claims[0]?.status === 'FAILED',
    );
    expect(afterFailure.claims[0]?.failure).toContain('PAYEE_ACCOUNT_STATUS_ERROR');
    expect(afterFailure.remainingFen).toBe(1000);
    env.sandbox.faults.set({});
    expect(await env.packets.claim(authNo, { claimId: 'ok', ...payee(2) })).toMatchObject({
      accepted: true,
      amountFen: 500,
    });
    await env.packets.closeNow(authNo);
    const final = await result(authNo);
    expect(final.refund).toMatchObject({ amountFen: 500, status: 'SUCCESS' });
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-disburse-refused-released', env.packets.handle(authNo));
  });

  it('a refund that meets transient errors is retried with the same out_request_no', async () => {
    env.sandbox.faults.set({ methods: { [REFUND]: { unavailableRate: 1 } } });
    const { authNo } = await openPacketWithClaim();
    await env.packets.closeNow(authNo);
    await eventually(
      async () => requestsFor(REFUND, authNo).length,
      (count) => count >= 2,
    );
    env.sandbox.faults.set({});
    const final = await result(authNo);
    expect(final.refund?.status).toBe('SUCCESS');
    const attempts = requestsFor(REFUND, authNo);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(new Set(attempts.map((request) => request.outRequestNo))).toEqual(
      new Set([final.refund!.outRequestNo]),
    );
    expectConserved(final, env.sandbox);
  });

  it('an ambiguous refund (applied, response lost) is resolved by query and never sent twice', async () => {
    env.sandbox.faults.set({ methods: { [REFUND]: { lostResponseRate: 1 } } });
    const { authNo } = await openPacketWithClaim();
    await env.packets.closeNow(authNo);
    const final = await result(authNo);
    expect(final.refund).toMatchObject({ status: 'SUCCESS', amountFen: 700 });
    expect(requestsFor(REFUND, authNo)).toHaveLength(1);
    expect(
      env.sandbox.ledger
        .packet(authNo)
        .operations.filter((operation) => operation.operationType === 'REFUND'),
    ).toHaveLength(1);
    expectConserved(final, env.sandbox);
  });

  it('a retryRefund sent while nothing is blocked is recorded and ignored, and spends no later retry', async () => {
    env.sandbox.faults.set({ methods: { [REFUND]: { refuseRate: 1, refuseSubCode: 'REFUND_NOT_ALLOWED' } } });
    const { authNo } = await openPacketWithClaim();
    await env.packets.retryRefund(authNo); // too early: the packet is OPEN
    const open = await eventually(
      () => env.packets.getState(authNo),
      (state) => state.ignoredSignals.length === 1,
    );
    expect(open.ignoredSignals).toMatchObject([
      { signal: 'retryRefund', reason: expect.stringContaining('OPEN') },
    ]);
    await env.packets.closeNow(authNo);
    await eventually(
      () => env.packets.getState(authNo),
      (state) => state.status === 'REFUND_BLOCKED',
    );
    // Blocked after exactly one refund attempt: the early signal did not trigger a second.
    const scheduled = (await env.packets.handle(authNo).fetchHistory()).events?.filter(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'refundRemainder',
    );
    expect(scheduled).toHaveLength(1);
    expect(requestsFor(REFUND, authNo)).toHaveLength(1);
    env.sandbox.faults.set({});
    await env.packets.retryRefund(authNo);
    const final = await result(authNo);
    expect(final.refund).toMatchObject({ status: 'SUCCESS', amountFen: 700 });
    expect(final.ignoredSignals).toHaveLength(1);
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-early-retry-refund-ignored', env.packets.handle(authNo));
  });

  it('a permanently refused refund shows REFUND_BLOCKED until an operator retries', async () => {
    env.sandbox.faults.set({ methods: { [REFUND]: { refuseRate: 1, refuseSubCode: 'REFUND_NOT_ALLOWED' } } });
    const { authNo } = await openPacketWithClaim();
    await env.packets.closeNow(authNo);
    const blocked = await eventually(
      () => env.packets.getState(authNo),
      (state) => state.status === 'REFUND_BLOCKED',
    );
    expect(blocked.refund).toMatchObject({
      status: 'BLOCKED',
      failure: expect.stringContaining('REFUND_NOT_ALLOWED'),
    });
    const description = await env.packets.handle(authNo).describe();
    expect(description.typedSearchAttributes.get(RED_PACKET_STATUS)).toBe('REFUND_BLOCKED');
    expect(description.status.name).toBe('RUNNING');
    // What an operator sees in the UI: label: value lines, the refusal, and what to do next.
    const seen = await uiMetadata(env.packets.handle(authNo));
    const details = detailLines(seen.currentDetails);
    expect(details.get('Status')).toBe('REFUND_BLOCKED');
    expect(details.get('Remaining')).toBe('7.00 yuan');
    expect(details.get('Refund')).toContain('REFUND_NOT_ALLOWED');
    expect(details.get('Next step')).toContain(`--workflow-id red-packet-${authNo} --name retryRefund`);
    // Every handler says what it does; retryRefund says when to use it.
    for (const kind of ['query', 'signal', 'update'] as const)
      for (const handler of seen.handlers[kind])
        expect(handler.description, handler.name).toMatch(/\w{3,}.*\./);
    expect(seen.handlers.signal.map(({ name }) => name).sort()).toEqual([
      'alipayNotify',
      'closeNow',
      'retryRefund',
    ]);
    expect(seen.handlers.signal.find(({ name }) => name === 'retryRefund')?.description).toContain(
      'REFUND_BLOCKED',
    );
    expect(seen.handlers.query.find(({ name }) => name === 'state')?.description).toContain('in fen');
    env.sandbox.faults.set({});
    await env.packets.retryRefund(authNo);
    const final = await result(authNo);
    const done = detailLines((await uiMetadata(env.packets.handle(authNo))).currentDetails);
    expect(done.get('Status')).toBe('COMPLETED');
    expect(done.get('Refunded')).toBe('7.00 yuan');
    expect(done.has('Next step')).toBe(false);
    expect(final.refund).toMatchObject({ status: 'SUCCESS', amountFen: 700 });
    expectConserved(final, env.sandbox);
    await recordHistory('bounded-refund-blocked-then-retried', env.packets.handle(authNo));
  });
});

describe('operations found at Alipay', () => {
  it('another payout already under our request number is never adopted: the claim is neither PAID nor released', async () => {
    const { authNo } = await env.fundAndStart({ totalFen: 1000, split: 'claimant', ttlMs: 60_000 });
    // Someone else's 1.00 under the numbers our first claim will use (RP<auth_no>D1, the same in
    // every lifecycle of an auth_no), put there after this packet's funding check.
    const ours = `RP${authNo}D1`;
    await disburse(env.gateway, {
      outOrderNo: ours,
      deductAuthNo: authNo,
      outRequestNo: ours,
      orderTitle: 'another lifecycle',
      amount: 100,
      payeeUserId: '2088000000000099',
    });
    expect(await env.packets.claim(authNo, { claimId: 'mine', ...payee(1), amountFen: 250 })).toMatchObject({
      accepted: true,
    });
    const handle = env.packets.handle(authNo);
    const failures = async () =>
      ((await handle.fetchHistory()).events ?? [])
        .map(
          (event) =>
            event.activityTaskFailedEventAttributes?.failure?.cause?.message ??
            event.activityTaskFailedEventAttributes?.failure?.message,
        )
        .filter((message): message is string => typeof message === 'string');
    const seen = await eventually(failures, (messages) =>
      messages.some((message) => message.includes('UNRECONCILED')),
    );
    expect(seen.find((message) => message.includes('UNRECONCILED'))).toContain('to another payee');
    // Held: still PENDING with its 2.50 reserved; closing waits for it instead of refunding.
    await env.packets.closeNow(authNo);
    const closing = await eventually(
      () => env.packets.getState(authNo),
      (state) => state.status === 'CLOSING',
    );
    expect(closing).toMatchObject({ status: 'CLOSING', paidFen: 0, claimedFen: 250, remainingFen: 750 });
    expect(closing.claims[0]).toMatchObject({ claimId: 'mine', status: 'PENDING' });
    expect(env.sandbox.ledger.packet(authNo)).toMatchObject({ disbursed: 100, refunded: 0, balance: 900 });
    expect(requestsFor(REFUND, authNo)).toHaveLength(0);
    await handle.terminate('test done: an operator would reconcile by hand');
  });
});
