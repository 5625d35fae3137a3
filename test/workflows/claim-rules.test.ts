// The rules a claim lives by, through the real API: once per payee, one meaning per claimId,
// nothing after expiry, and refused claims that leave no trace in history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryRefundSignal, workflowIdFor } from '../../workflows/messages';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { recordHistory } from '../helpers/history';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';
import { eventually } from '../helpers/lifecycle-env';

let temporal: DevServerHandles;
let env: HttpEnv;

beforeAll(async () => {
  temporal = await connectToDevServer();
  env = await startHttpEnv(temporal.nativeConnection);
});
afterAll(async () => {
  await env?.close();
  await temporal?.close();
});

const DISBURSE = 'alipay.fund.coupon.order.disburse';
const REFUND = 'alipay.fund.coupon.order.refund';
const userId = (i: number) => `2088${String(i).padStart(12, '0')}`;

const claim = (authNo: string, body: Record<string, unknown>) =>
  env.request('POST', `/red-packets/${authNo}/claims`, body);
const read = (authNo: string) => env.request('GET', `/red-packets/${authNo}`);
const packetHandle = (authNo: string) => temporal.client.workflow.getHandle(workflowIdFor(authNo));
const historyLength = async (authNo: string) => (await packetHandle(authNo).describe()).historyLength;

/** The packet completed, and the sandbox's books agree with ours: disbursed + refunded == total. */
async function expectCompletedAndConserved(authNo: string): Promise<void> {
  const final = await eventually(
    () => read(authNo),
    (response) => response.json.status === 'COMPLETED',
    30_000,
  );
  expect(final.json.status).toBe('COMPLETED');
  const ledger = env.sandbox.ledger.packet(authNo);
  expect(ledger.disbursed + ledger.refunded).toBe(ledger.funded);
  expect(`${(ledger.disbursed / 100).toFixed(2)}`).toBe(final.json.paid);
  expect(`${(ledger.refunded / 100).toFixed(2)}`).toBe(final.json.refunded);
}

describe('claim rules', () => {
  it('one claim per payee: a second claimId for the same account is refused PAYEE_ALREADY_CLAIMED and reserves nothing', async () => {
    const { authNo } = await env.openPacket({ amount: '5.00', shares: 5, split: 'fixed', ttlSeconds: 600 });
    expect((await claim(authNo, { claimId: 'c1', payeeUserId: userId(1) })).status).toBe(200);
    const again = await claim(authNo, { claimId: 'c2', payeeUserId: userId(1) });
    expect(again).toMatchObject({ status: 409, json: { reason: 'PAYEE_ALREADY_CLAIMED' } });
    expect((await claim(authNo, { claimId: 'c3', payeeLogonId: 'someone@example.com' })).status).toBe(200);
    const byLogon = await claim(authNo, { claimId: 'c4', payeeLogonId: 'someone@example.com' });
    expect(byLogon).toMatchObject({ status: 409, json: { reason: 'PAYEE_ALREADY_CLAIMED' } });
    // Both payouts settled, the packet still open: refusals and repeats leave history as it is.
    const settled = await eventually(
      () => read(authNo),
      (response) => response.json.paidCount === 2,
    );
    expect(settled.json.paidCount).toBe(2);
    const before = await historyLength(authNo);
    const sameAccount = await claim(authNo, { claimId: 'c5', payeeLogonId: ' Someone@Example.com' });
    expect(sameAccount).toMatchObject({ status: 409, json: { reason: 'PAYEE_ALREADY_CLAIMED' } });
    expect((await claim(authNo, { claimId: 'c6', payeeUserId: userId(1) })).status).toBe(409);
    expect((await claim(authNo, { claimId: 'c1', payeeUserId: userId(1) })).status).toBe(200);
    expect(await historyLength(authNo)).toBe(before);
    const state = await read(authNo);
    expect(state.json).toMatchObject({ claimCount: 2, claimed: '2.00', remaining: '3.00' });
    await env.request('POST', `/red-packets/${authNo}/refund`);
    await expectCompletedAndConserved(authNo);
    expect(env.sandbox.ledger.packet(authNo).disbursed).toBe(200);
  });

  it('a repeated claimId: the identical request gets the first answer; another payee or amount gets 409 CLAIM_ID_CONFLICT', async () => {
    const { authNo } = await env.openPacket({ amount: '5.00', split: 'claimant', ttlSeconds: 600 });
    const first = await claim(authNo, { claimId: 'same', payeeUserId: userId(1), amount: '1.00' });
    expect(first).toMatchObject({ status: 200, json: { claimId: 'same', amount: '1.00' } });
    const repeat = await claim(authNo, { claimId: 'same', payeeUserId: userId(1), amount: '1.00' });
    expect(repeat).toMatchObject({ status: 200, json: { claimId: 'same', amount: '1.00' } });
    const otherPayee = await claim(authNo, { claimId: 'same', payeeUserId: userId(2), amount: '1.00' });
    expect(otherPayee).toMatchObject({ status: 409, json: { reason: 'CLAIM_ID_CONFLICT' } });
    await eventually(
      () => read(authNo),
      (response) => response.json.paidCount === 1,
    );
    const before = await historyLength(authNo);
    const otherAmount = await claim(authNo, { claimId: 'same', payeeUserId: userId(1), amount: '2.00' });
    expect(otherAmount).toMatchObject({ status: 409, json: { reason: 'CLAIM_ID_CONFLICT' } });
    const repeatAgain = await claim(authNo, { claimId: 'same', payeeUserId: userId(1), amount: '1.00' });
    expect(repeatAgain).toMatchObject({ status: 200, json: { amount: '1.00' } });
    expect(await historyLength(authNo)).toBe(before); // repeats and conflicts are answered by query
    expect((await read(authNo)).json).toMatchObject({ claimCount: 1, claimed: '1.00', remaining: '4.00' });
    await env.request('POST', `/red-packets/${authNo}/refund`);
    await expectCompletedAndConserved(authNo);
    expect(env.sandbox.ledger.packet(authNo).disbursed).toBe(100);
  });

  it('a claim at or after expiresAt is refused PACKET_EXPIRED while the packet is still closing, and adds no history', async () => {
    env.sandbox.faults.set({ methods: { [DISBURSE]: { hangRate: 1 } } });
    try {
      const { authNo } = await env.openPacket({ amount: '3.00', shares: 3, split: 'fixed', ttlSeconds: 6 });
      expect(await claim(authNo, { claimId: 'early', payeeUserId: userId(1) })).toMatchObject({
        status: 200,
        json: { status: 'PENDING' },
      });
      // Expired, its one payout hung at Alipay: the packet waits in CLOSING.
      const closing = await eventually(
        () => read(authNo),
        (response) => response.json.status === 'CLOSING',
      );
      expect(closing.json.status).toBe('CLOSING');
      const before = await historyLength(authNo);
      const late = await claim(authNo, { claimId: 'late', payeeUserId: userId(2) });
      expect(late).toMatchObject({ status: 409, json: { reason: 'PACKET_EXPIRED' } });
      const repeat = await claim(authNo, { claimId: 'early', payeeUserId: userId(1) });
      expect(repeat).toMatchObject({ status: 200, json: { claimId: 'early', amount: '1.00' } });
      expect(await historyLength(authNo)).toBe(before);
      env.sandbox.faults.set({});
      await expectCompletedAndConserved(authNo);
      expect(env.sandbox.ledger.packet(authNo)).toMatchObject({ disbursed: 100, refunded: 200 });
      await recordHistory('bounded-claim-after-expiry-refused', packetHandle(authNo));
    } finally {
      env.sandbox.faults.set({});
    }
  });

  it('claims on a REFUND_BLOCKED packet are refused without adding history; a repeat still gets its first answer', async () => {
    env.sandbox.faults.set({ methods: { [REFUND]: { refuseRate: 1, refuseSubCode: 'REFUND_NOT_ALLOWED' } } });
    try {
      const { authNo } = await env.openPacket({ amount: '3.00', shares: 3, split: 'fixed', ttlSeconds: 600 });
      expect((await claim(authNo, { claimId: 'kept', payeeUserId: userId(1) })).status).toBe(200);
      expect((await env.request('POST', `/red-packets/${authNo}/refund`)).status).toBe(202);
      const blocked = await eventually(
        () => read(authNo),
        (response) => response.json.status === 'REFUND_BLOCKED',
      );
      expect(blocked.json.status).toBe('REFUND_BLOCKED');
      const before = await historyLength(authNo);
      const refused = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          claim(authNo, { claimId: `new${i}`, payeeUserId: userId(10 + i) }),
        ),
      );
      for (const response of refused)
        expect(response).toMatchObject({ status: 409, json: { reason: 'PACKET_NOT_OPEN' } });
      const repeat = await claim(authNo, { claimId: 'kept', payeeUserId: userId(1) });
      expect(repeat).toMatchObject({
        status: 200,
        json: { claimId: 'kept', status: 'PAID', amount: '1.00' },
      });
      expect(await historyLength(authNo)).toBe(before);
      env.sandbox.faults.set({});
      await packetHandle(authNo).signal(retryRefundSignal);
      await expectCompletedAndConserved(authNo);
      expect(env.sandbox.ledger.packet(authNo)).toMatchObject({ disbursed: 100, refunded: 200 });
      await recordHistory('bounded-refund-blocked-claims-refused', packetHandle(authNo));
    } finally {
      env.sandbox.faults.set({});
    }
  });
});
