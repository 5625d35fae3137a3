// The HTTP API and the notify webhook, end to end: real dev server, sandbox, worker, app.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignContent, signRsa2 } from '../../alipay/sign';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { recordHistory } from '../helpers/history';
import { eventually } from '../helpers/lifecycle-env';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';
import { fingerprint, toRedPacketInput } from '../../client/http/red-packet-requests';
import { createRedPacketClient } from '../../client/red-packet-client';
import { counted } from '../helpers/metrics';

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

function signedForm(fields: Record<string, string>, key = env.sandbox.keys.alipayPrivateKey): string {
  const sign = signRsa2(buildSignContent(fields, ['sign', 'sign_type']), key);
  return new URLSearchParams({ ...fields, sign_type: 'RSA2', sign }).toString();
}

async function postNotify(body: string, contentType = 'application/x-www-form-urlencoded') {
  const response = await fetch(`${env.webhookUrl}/alipay/notify`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return { status: response.status, text: await response.text() };
}

describe('a whole lifecycle through the API', () => {
  it('creates, takes claims, expires, refunds, completes on the sandbox’s notification; both ledgers agree', async () => {
    const { authNo, outOrderNo, payOperationId } = await env.fund(1000);
    const body = {
      authNo,
      outOrderNo,
      payOperationId,
      amount: '10.00',
      shares: 4,
      split: 'fixed',
      ttlSeconds: 8,
      title: '新年红包',
    };
    const created = await env.request('POST', '/red-packets', body);
    expect(created).toMatchObject({
      status: 201,
      json: { workflowId: `red-packet-${authNo}`, authNo, status: 'OPEN' },
    });
    expect((await env.request('POST', '/red-packets', body)).status).toBe(200);
    expect(await env.request('POST', '/red-packets', { ...body, amount: '9.00' })).toMatchObject({
      status: 409,
      json: { field: 'authNo' },
    });

    const claim = await env.request('POST', `/red-packets/${authNo}/claims`, {
      claimId: 'u1',
      payeeUserId: '2088000000000011',
    });
    expect(claim).toMatchObject({
      status: 200,
      json: { claimId: 'u1', status: 'PENDING', amount: '2.50', remaining: '7.50' },
    });
    await env.request('POST', `/red-packets/${authNo}/claims`, {
      claimId: 'u2',
      payeeLogonId: 'user2@example.com',
    });

    const final = await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => response.json.status === 'COMPLETED',
      30_000,
    );
    expect(final.json).toMatchObject({
      authNo,
      status: 'COMPLETED',
      total: '10.00',
      claimed: '5.00',
      refunded: '5.00',
      refund: { amount: '5.00', status: 'SUCCESS' },
    });
    expect(final.json.claims).toEqual([
      { claimId: 'u1', amount: '2.50', status: 'PAID' },
      { claimId: 'u2', amount: '2.50', status: 'PAID' },
    ]);
    const ledger = (await (await fetch(`${env.sandbox.url}/sandbox/packets/${authNo}`)).json()) as Record<
      string,
      string
    >;
    expect(ledger).toMatchObject({ funded: '10.00', disbursed: '5.00', refunded: '5.00', balance: '0.00' });
    expect(await counted(env.metrics.notifications, { outcome: 'delivered' })).toBeGreaterThanOrEqual(1);
  });
});

describe('JSON bodies with a key twice', () => {
  it('are refused with 400 naming the key, and start nothing', async () => {
    const funded = await env.fund(100);
    const body = `{"authNo":"${funded.authNo}","outOrderNo":"${funded.outOrderNo}","payOperationId":"${funded.payOperationId}","amount":"1.00","amount":"99999999.00"}`;
    const response = await fetch(`${env.url}/red-packets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.token}`, 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'amount appears twice in the body', field: 'amount' });
    expect((await env.request('GET', `/red-packets/${funded.authNo}`)).status).toBe(404);
    const poisoned = await fetch(`${env.url}/red-packets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.token}`, 'content-type': 'application/json' },
      body: '{"__proto__":{"amount":"1.00"}}',
    });
    expect(poisoned.status).toBe(400);
  });
});

describe('service API input', () => {
  it.each([
    [{ outOrderNo: 'o', payOperationId: 'P1', amount: '1.00' }, 'authNo'],
    [{ authNo: 'A1', outOrderNo: 'o', amount: '1.00' }, 'payOperationId'],
    [
      { authNo: 'A1', outOrderNo: 'o', payOperationId: 'P1', payOutRequestNo: 'R1', amount: '1.00' },
      'payOperationId',
    ],
    [{ authNo: 'A1', outOrderNo: 'o', payOperationId: 'P 1', amount: '1.00' }, 'payOperationId'],
    [{ authNo: 'A1', outOrderNo: 'o', payOperationId: 'P1', amount: '1.001' }, 'amount'],
    [{ authNo: 'A1', outOrderNo: 'o', payOperationId: 'P1', amount: '-1.00' }, 'amount'],
    [{ authNo: 'A1', outOrderNo: 'o', payOperationId: 'P1', amount: 1 }, 'amount'],
    [{ authNo: 'A1', outOrderNo: 'o', payOperationId: 'P1', amount: '0.00' }, 'amount'],
    [{ authNo: 'A-1; drop', outOrderNo: 'o', payOperationId: 'P1', amount: '1.00' }, 'authNo'],
    [{ authNo: 'A1', outOrderNo: 'o', payOperationId: 'P1', amount: '1.00', split: 'fixed' }, 'shares'],
    [{ authNo: 'A1', outOrderNo: 'o', payOperationId: 'P1', amount: '0.05', shares: 6 }, 'shares'],
    [
      {
        authNo: 'A1',
        outOrderNo: 'o',
        payOperationId: 'P1',
        amount: '1.00',
        expiresAt: '2001-01-01T00:00:00Z',
      },
      'expiresAt',
    ],
    [
      {
        authNo: 'A1',
        outOrderNo: 'o',
        payOperationId: 'P1',
        amount: '1.00',
        ttlSeconds: 5,
        expiresAt: '2099-01-01T00:00:00Z',
      },
      'expiresAt',
    ],
    [{ authNo: 'A1', outOrderNo: 'o', payOperationId: 'P1', amount: '1.00', surprise: true }, 'surprise'],
  ])('refuses %j naming %s', async (body, field) => {
    const response = await env.request('POST', '/red-packets', body);
    expect(response.status).toBe(400);
    expect(response.json.field).toBe(field);
    expect(typeof response.json.error).toBe('string');
  });

  it('answers 404 for an unknown packet and an unknown route, 409 with a reason for a refused claim', async () => {
    expect((await env.request('GET', '/red-packets/NOSUCHPACKET')).status).toBe(404);
    expect(
      (
        await env.request('POST', '/red-packets/NOSUCHPACKET/claims', {
          claimId: 'x',
          payeeUserId: '2088000000000001',
        })
      ).status,
    ).toBe(404);
    expect((await env.request('POST', '/red-packets/NOSUCHPACKET/refund')).status).toBe(404);
    expect((await env.request('GET', '/nothing-here')).status).toBe(404);

    const { authNo } = await env.openPacket({ amount: '1.00', split: 'claimant', ttlSeconds: 600 });
    const refused = await env.request('POST', `/red-packets/${authNo}/claims`, {
      claimId: 'big',
      payeeUserId: '2088000000000001',
      amount: '1.01',
    });
    expect(refused).toMatchObject({ status: 409, json: { reason: 'AMOUNT_OUT_OF_RANGE' } });
    const noPayee = await env.request('POST', `/red-packets/${authNo}/claims`, { claimId: 'nobody' });
    expect(noPayee).toMatchObject({ status: 400, json: { field: 'payeeUserId' } });
    expect((await env.request('POST', `/red-packets/${authNo}/refund`)).status).toBe(202);
    await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => response.json.status === 'COMPLETED',
    );
  });

  it('a burst of 300 concurrent claims on one packet returns no error to any claimant', async () => {
    const { authNo } = await env.openPacket({ amount: '200.00', shares: 200, ttlSeconds: 600 });
    const responses = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        env.request('POST', `/red-packets/${authNo}/claims`, {
          claimId: `b${i}`,
          payeeUserId: `2088${String(i).padStart(12, '0')}`,
        }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(statuses.filter((status) => status === 200)).toHaveLength(200);
    expect(statuses.filter((status) => status === 409)).toHaveLength(100);
    const final = await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => response.json.status === 'COMPLETED',
      60_000,
    );
    expect(final.json).toMatchObject({ claimed: '200.00', refunded: '0.00' });
    expect(env.sandbox.ledger.packet(authNo)).toMatchObject({ disbursed: 200_00, refunded: 0, balance: 0 });
    await recordHistory(
      'bounded-http-burst-claim-batches',
      temporal.client.workflow.getHandle(`red-packet-${authNo}`),
    );
  }, 120_000);
});

describe('create requests as understood', () => {
  it('"1.0" and "1.00", or the default split named, are the same create; another amount is a conflict', async () => {
    const funded = await env.fund(100);
    const body = { ...funded, amount: '1.0', ttlSeconds: 600 };
    expect((await env.request('POST', '/red-packets', body)).status).toBe(201);
    expect((await env.request('POST', '/red-packets', { ...body, amount: '1.00' })).status).toBe(200);
    expect(
      (await env.request('POST', '/red-packets', { ...body, amount: '1', split: 'claimant' })).status,
    ).toBe(200);
    const other = await env.request('POST', '/red-packets', { ...body, amount: '0.99' });
    expect(other).toMatchObject({ status: 409, json: { field: 'authNo' } });
  });

  it('a packet created before (raw request as its memo) still answers the same request with 200', async () => {
    const funded = await env.fund(100);
    const body = { ...funded, amount: '1.00', split: 'claimant' as const, ttlSeconds: 600 };
    const input = toRedPacketInput(body, new Date());
    await createRedPacketClient(temporal.client, env.taskQueue).createRedPacket(input, fingerprint(body));
    expect((await env.request('POST', '/red-packets', body)).status).toBe(200);
  });

  it('a title Alipay would refuse (64 emoji, control characters) is 400 naming title; so is a payee logon id with control characters', async () => {
    const funded = await env.fund(100);
    for (const title of ['🧧'.repeat(64), 'red\u0007packet', 'x'.repeat(80)]) {
      const refused = await env.request('POST', '/red-packets', {
        ...funded,
        amount: '1.00',
        ttlSeconds: 600,
        title,
      });
      expect(refused, title).toMatchObject({ status: 400, json: { field: 'title' } });
    }
    const accepted = await env.request('POST', '/red-packets', {
      ...funded,
      amount: '1.00',
      ttlSeconds: 600,
      title: '🧧'.repeat(39),
    });
    expect(accepted.status).toBe(201);
    const claim = await env.request('POST', `/red-packets/${funded.authNo}/claims`, {
      claimId: 'ctl',
      payeeLogonId: 'someone@example.com\n',
      amount: '0.01',
    });
    expect(claim).toMatchObject({ status: 400, json: { field: 'payeeLogonId' } });
    await expect(
      createRedPacketClient(temporal.client, env.taskQueue).claim(funded.authNo, {
        claimId: 'typed',
        payeeLogonId: 'a\u0000b',
        amountFen: 1,
      }),
    ).rejects.toMatchObject({ name: 'InvalidInputError', field: 'payeeLogonId' });
  });
});

describe('reading a packet', () => {
  it('pages the claims with ?limit= and ?cursor=, running and completed; a bad limit or cursor is 400 naming it', async () => {
    const { authNo } = await env.openPacket({ amount: '5.00', shares: 5, split: 'fixed', ttlSeconds: 600 });
    for (let i = 0; i < 5; i++) {
      const claimed = await env.request('POST', `/red-packets/${authNo}/claims`, {
        claimId: `p${i}`,
        payeeUserId: `2088${String(i).padStart(12, '0')}`,
      });
      expect(claimed.status).toBe(200);
    }
    const readAll = async () => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
        const page = await env.request('GET', `/red-packets/${authNo}${query}`);
        expect(page.status).toBe(200);
        expect(page.json).toMatchObject({ claimCount: 5, total: '5.00' });
        const claims = page.json.claims as Array<{ claimId: string }>;
        expect(claims.length).toBeLessThanOrEqual(2);
        ids.push(...claims.map((claim) => claim.claimId));
        cursor = page.json.nextCursor as string | null;
        pages += 1;
      } while (cursor && pages < 10);
      return ids;
    };
    expect(await readAll()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    const completed = await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => response.json.status === 'COMPLETED',
    );
    expect(completed.json).toMatchObject({
      status: 'COMPLETED',
      paidCount: 5,
      paid: '5.00',
      nextCursor: null,
    });
    expect(await readAll()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']); // from the result now
    for (const [query, field] of [
      ['?limit=1001', 'limit'],
      ['?limit=0', 'limit'],
      ['?limit=abc', 'limit'],
      ['?cursor=nonsense', 'cursor'],
      ['?cursor=p9.0', 'cursor'],
    ]) {
      const refused = await env.request('GET', `/red-packets/${authNo}${query}`);
      expect(refused, query).toMatchObject({ status: 400, json: { field } });
    }
  });
});

describe('notify webhook', () => {
  it('refuses the seed’s example (a GET query string with null fields, a signature that does not verify)', async () => {
    const before = await counted(env.metrics.notifications, { outcome: 'delivered' });
    const seed =
      '/alipay/notify?notify_type=trade_status_sync&notify_id=91722adff935e8cfa58b3aabf4dead6ibe' +
      '&notify_time=2017-02-16 21:46:15&sign_type=RSA2&sign=WcO+t3D8Kg71dTlKwN7r9PzUOXeaBJwp8/FOuSxcuSkX' +
      '&auth_no=null&out_order_no=null&operation_id=null&out_request_no=null&operation_type=null&amount=null' +
      '&status=null&gmt_create=null&gmt_trans=null&payer_logon_id=null&payer_user_id=null';
    const response = await fetch(`${env.webhookUrl}${seed.replace(/ /g, '%20')}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('fail');
    expect(await counted(env.metrics.notifications, { outcome: 'delivered' })).toBe(before);
  });

  it('refuses forged signatures, a foreign app_id, oversized and wrongly typed bodies', async () => {
    const { authNo } = await env.fund(100);
    const fields = {
      notify_type: 'fund_stdtrustee_refund.success',
      notify_id: 'n-forged',
      auth_no: authNo,
      amount: '1.00',
      status: 'SUCCESS',
    };
    const forged = signedForm({ ...fields, app_id: env.sandbox.keys.appId }, env.sandbox.keys.appPrivateKey);
    expect(await postNotify(forged)).toEqual({ status: 400, text: 'fail' });
    const tampered = signedForm({ ...fields, app_id: env.sandbox.keys.appId }).replace(
      'amount=1.00',
      'amount=9.00',
    );
    expect(await postNotify(tampered)).toEqual({ status: 400, text: 'fail' });
    expect(await postNotify(signedForm({ ...fields, app_id: '2021999999999999' }))).toEqual({
      status: 400,
      text: 'fail',
    });
    expect((await postNotify(`${signedForm(fields)}&pad=${'x'.repeat(70_000)}`)).status).toBe(413);
    expect(await postNotify(JSON.stringify(fields), 'application/json')).toEqual({
      status: 415,
      text: 'fail',
    });
    expect((await postNotify('a=1&a=2')).status).toBe(400);
  });

  it('finds the packet by our out_request_no when auth_no is absent, and acknowledges late retries', async () => {
    const { authNo } = await env.openPacket({ amount: '5.00', split: 'claimant', ttlSeconds: 600 });
    await env.request('POST', `/red-packets/${authNo}/refund`);
    const done = await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => response.json.status === 'COMPLETED',
    );
    const outRequestNo = (done.json.refund as { outRequestNo: string }).outRequestNo;
    // A retry of the refund notification, after completion, without auth_no: found by number, acknowledged.
    const late = {
      notify_type: 'fund_stdtrustee_refund.success',
      notify_id: `late-${authNo}`,
      out_request_no: outRequestNo,
      amount: '5.00',
      status: 'SUCCESS',
      app_id: env.sandbox.keys.appId,
    };
    const before = await counted(env.metrics.notifications, { outcome: 'already-completed' });
    expect(await postNotify(signedForm(late))).toEqual({ status: 200, text: 'success' });
    expect(await counted(env.metrics.notifications, { outcome: 'already-completed' })).toBe(before + 1);
  });

  it('a terminated packet: its notification gets 500 fail, GET shows TERMINATED and the last ledger, a repeat gets its first answer', async () => {
    const { authNo } = await env.openPacket({ amount: '3.00', shares: 3, split: 'fixed', ttlSeconds: 600 });
    const claim = { claimId: 't1', payeeUserId: '2088000000000001' };
    expect((await env.request('POST', `/red-packets/${authNo}/claims`, claim)).status).toBe(200);
    await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => response.json.paidCount === 1,
    );
    await temporal.client.workflow.getHandle(`red-packet-${authNo}`).terminate('operator stopped it');
    const read = await env.request('GET', `/red-packets/${authNo}`);
    expect(read).toMatchObject({ status: 200, json: { status: 'TERMINATED', claimCount: 1, paid: '1.00' } });
    expect(await env.request('POST', `/red-packets/${authNo}/claims`, claim)).toMatchObject({
      status: 200,
      json: { claimId: 't1', amount: '1.00', status: 'PAID' },
    });
    const fresh = await env.request('POST', `/red-packets/${authNo}/claims`, {
      claimId: 't2',
      payeeUserId: '2088000000000002',
    });
    expect(fresh).toMatchObject({ status: 409, json: { reason: 'PACKET_NOT_OPEN' } });
    const notification = {
      notify_type: 'fund_stdtrustee_refund.success',
      notify_id: `ended-${authNo}`,
      auth_no: authNo,
      out_request_no: `RP${authNo}R`,
      amount: '2.00',
      status: 'SUCCESS',
      app_id: env.sandbox.keys.appId,
    };
    const before = await counted(env.metrics.notifications, { outcome: 'workflow-ended' });
    expect(await postNotify(signedForm(notification))).toEqual({ status: 500, text: 'fail' });
    expect(await counted(env.metrics.notifications, { outcome: 'workflow-ended' })).toBe(before + 1);
    expect(env.logs.some((line) => line.includes('an operator must look') && line.includes(authNo))).toBe(
      true,
    );
  });

  it('refuses a verified refund notification that names no app_id', async () => {
    const fields = {
      notify_type: 'fund_stdtrustee_refund.success',
      notify_id: 'n-no-app',
      auth_no: 'ANYPACKET1',
      amount: '1.00',
      status: 'SUCCESS',
    };
    expect(await postNotify(signedForm(fields))).toEqual({ status: 400, text: 'fail' });
  });

  it('does not acknowledge a verified notification for a packet we do not know', async () => {
    const fields = {
      notify_type: 'fund_stdtrustee_refund.success',
      notify_id: 'n-unknown',
      auth_no: 'UNKNOWNPACKET1',
      amount: '1.00',
      app_id: env.sandbox.keys.appId,
    };
    expect(await postNotify(signedForm(fields))).toEqual({ status: 404, text: 'fail' });
    expect(await counted(env.metrics.notifications, { outcome: 'unknown-packet' })).toBeGreaterThanOrEqual(1);
    const metrics = (await env.request('GET', '/metrics')).json.text as string;
    expect(metrics).toMatch(/redpacket_alipay_notifications_total\{outcome="unknown-packet"\} \d+/);
    expect(metrics).toMatch(/redpacket_http_requests_total\{route="\/alipay\/notify",status="404"\} \d+/);
  });
});
