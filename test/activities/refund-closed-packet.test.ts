// A refund that meets a closed packet asks Alipay whose doing that was: our own refund, applied
// on an earlier try (settled, never refused), or Alipay's timeout refund (a typed failure the
// workflow reads as the remainder refunded). Run in an activity context against the sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { AlipayGateway } from '../../alipay/gateway';
import type { RunningSandbox } from '../../sandbox/server';
import { FAILURE_TYPES } from '../../workflows/failure-types';
import { refundRequestNo } from '../../workflows/request-numbers';
import { payRedPacket } from '../helpers/pay';
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

async function fundedPacket(totalFen: number) {
  const { authNo, outOrderNo } = await payRedPacket(gateway, {
    totalFen,
    notifyUrl: 'http://127.0.0.1:9/alipay/notify',
    prefix: 'A',
  });
  const refund = {
    authNo,
    payOutOrderNo: outOrderNo,
    outRequestNo: refundRequestNo(authNo),
    amountFen: totalFen,
    remark: 'unclaimed remainder',
  };
  return { authNo, refund };
}

// A first attempt each time: what the workflow does when it sends the same refund again.
const firstAttempt = () => new MockActivityEnvironment({ attempt: 1 });

describe('refund on a closed packet', () => {
  it('settles as ours when our own earlier refund is what closed the packet', async () => {
    const activities = createActivities(gateway);
    const { authNo, refund } = await fundedPacket(500);
    const first = await firstAttempt().run(activities.refundRemainder, refund);
    expect(sandbox.ledger.packet(authNo).status).toBe('CLOSED');
    const again = await firstAttempt().run(activities.refundRemainder, refund);
    expect(again).toEqual(first);
    const packet = sandbox.ledger.packet(authNo);
    expect(packet.operations.filter((operation) => operation.operationType === 'REFUND')).toHaveLength(1);
    expect(packet.disbursed + packet.refunded).toBe(500);
  });

  it('reports a packet Alipay closed itself with a typed, non-retryable failure', async () => {
    const activities = createActivities(gateway);
    const { authNo, refund } = await fundedPacket(500);
    sandbox.gateway.expire(authNo);
    const failure = await firstAttempt()
      .run(activities.refundRemainder, refund)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: FAILURE_TYPES.closedByAlipay, nonRetryable: true });
    const packet = sandbox.ledger.packet(authNo);
    expect(packet.refunded).toBe(500); // Alipay's own refund, and no second one
    expect(packet.operations.filter((operation) => operation.operationType === 'REFUND')).toHaveLength(1);
    expect(packet.disbursed + packet.refunded).toBe(500);
  });
});
