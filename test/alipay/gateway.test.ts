// The gateway client against a local HTTP endpoint that answers as Alipay would (signed with a
// test key): request layout, response checks, error classification and the typed methods.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlipayGateway } from '../../alipay/gateway';
import { AlipayError, AlipayRequestError } from '../../alipay/errors';
import { disburse, pagePay, queryOperation, refund, appPayOrderString } from '../../alipay/methods';
import { parseFormEncoded } from '../../alipay/notify';
import { buildSignContent, signRsa2, verifyRsa2 } from '../../alipay/sign';
import { rsaKeyPair } from '../helpers/keys';

const app = rsaKeyPair();
const alipay = rsaKeyPair();

interface Seen {
  query: Record<string, string>;
  body: Record<string, string>;
  contentType: string | undefined;
}

let respond: (seen: Seen, res: ServerResponse) => void;
const seen: Seen[] = [];
let server: Server;
let gateway: AlipayGateway;

function answer(res: ServerResponse, method: string, node: Record<string, unknown>): void {
  const raw = JSON.stringify(node);
  const name = `${method.replaceAll('.', '_')}_response`;
  res.setHeader('content-type', 'application/json;charset=utf-8');
  res.end(`{"${name}":${raw},"sign":"${signRsa2(raw, alipay.privateKey)}"}`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const request = {
        query: parseFormEncoded(url.search),
        body: parseFormEncoded(text),
        contentType: req.headers['content-type'],
      };
      seen.push(request);
      respond(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gateway = new AlipayGateway({
    gateway: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gateway.do`,
    appId: '2021000000000000',
    privateKey: app.privateKey,
    alipayPublicKey: alipay.publicKey,
    headersTimeoutMs: 500,
    bodyTimeoutMs: 500,
  });
});
afterEach(() => void (seen.length = 0));
afterAll(async () => {
  await gateway.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const refundRequest = {
  authNo: '2026112510002001110000000001',
  outRequestNo: 'rp-r-1',
  amount: 350,
  remark: '未领取退回',
};

describe('gateway client', () => {
  it('sends protocol parameters in the query and biz_content in a signed form body', async () => {
    respond = (request, res) =>
      answer(res, request.query.method!, {
        code: '10000',
        msg: 'Success',
        auth_no: refundRequest.authNo,
        out_order_no: 'PAY-1',
        operation_id: 'op-1',
        out_request_no: 'rp-r-1',
        amount: '3.50',
        status: 'SUCCESS',
      });
    const result = await refund(gateway, refundRequest, { notifyUrl: 'https://m.example/alipay/notify' });
    expect(result).toMatchObject({ status: 'SUCCESS', amount: 350, operationId: 'op-1' });

    const [request] = seen;
    expect(request!.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.keys(request!.body)).toEqual(['biz_content']);
    expect(request!.query).toMatchObject({
      app_id: '2021000000000000',
      method: 'alipay.fund.coupon.order.refund',
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      version: '1.0',
      notify_url: 'https://m.example/alipay/notify',
    });
    expect(request!.query.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(JSON.parse(request!.body.biz_content!)).toEqual({
      auth_no: refundRequest.authNo,
      out_request_no: 'rp-r-1',
      amount: '3.50',
      remark: '未领取退回',
    });
    const all = { ...request!.query, ...request!.body };
    expect(verifyRsa2(buildSignContent(all), all.sign!, app.publicKey)).toBe(true);
  });

  it('turns a signed business failure into a classified AlipayError', async () => {
    respond = (request, res) =>
      answer(res, request.query.method!, {
        code: '40004',
        msg: 'Business Failed',
        sub_code: 'MONEY_NOT_ENOUGH',
        sub_msg: '余额不足',
      });
    await expect(refund(gateway, refundRequest)).rejects.toMatchObject({
      name: 'AlipayError',
      kind: 'permanent',
      code: '40004',
      subCode: 'MONEY_NOT_ENOUGH',
      method: 'alipay.fund.coupon.order.refund',
    });
  });

  it('treats HTTP errors and unsigned bodies as transient, silence after sending as ambiguous', async () => {
    respond = (_request, res) => void res.writeHead(502).end('bad gateway');
    await expect(refund(gateway, refundRequest)).rejects.toMatchObject({
      kind: 'transient',
      httpStatus: 502,
    });

    respond = (_request, res) => res.end('{"alipay_fund_coupon_order_refund_response":{"code":"10000"}}');
    await expect(refund(gateway, refundRequest)).rejects.toMatchObject({ kind: 'transient' });

    respond = () => undefined; // never answers
    await expect(refund(gateway, refundRequest)).rejects.toMatchObject({ kind: 'ambiguous' });
  });

  it('treats a refused connection as transient', async () => {
    const closed = new AlipayGateway({
      gateway: 'http://127.0.0.1:1/gateway.do',
      appId: '2021000000000000',
      privateKey: app.privateKey,
      alipayPublicKey: alipay.publicKey,
    });
    await expect(refund(closed, refundRequest)).rejects.toMatchObject({ kind: 'transient' });
    await closed.close();
  });

  it('checks field rules before sending anything', async () => {
    const cases: Array<Promise<unknown>> = [
      refund(gateway, { ...refundRequest, remark: '' }),
      refund(gateway, { ...refundRequest, amount: 0 }),
      refund(gateway, { ...refundRequest, amount: 10_000_000_001 }),
      refund(gateway, { ...refundRequest, outRequestNo: 'x'.repeat(65) }),
      disburse(gateway, {
        outOrderNo: 'd-1',
        deductAuthNo: 'a',
        outRequestNo: 'r',
        orderTitle: 't',
        amount: 1,
        payeeUserId: '208812345',
      }),
      disburse(gateway, {
        outOrderNo: 'd-1',
        deductAuthNo: 'a',
        outRequestNo: 'r',
        orderTitle: 't',
        amount: 1,
      }),
      disburse(gateway, {
        outOrderNo: 'd-1',
        deductAuthNo: 'a',
        outRequestNo: 'r',
        orderTitle: 't',
        amount: 1,
        payeeUserId: '2088123456789012',
        payTimeout: '8d',
      }),
    ];
    for (const call of cases) await expect(call).rejects.toBeInstanceOf(AlipayRequestError);
    expect(seen).toHaveLength(0);
  });

  it('sends deduct_auth_no in preference to deduct_out_order_no, and queries by either key pair', async () => {
    respond = (request, res) => {
      const biz = JSON.parse(request.body.biz_content!) as Record<string, string>;
      answer(res, request.query.method!, {
        code: '10000',
        msg: 'Success',
        auth_no: 'A1',
        out_order_no: biz.out_order_no ?? 'D1',
        operation_id: 'op-9',
        out_request_no: biz.out_request_no ?? 'R1',
        amount: '0.01',
        status: 'INIT',
        operation_type: 'DISBURSE',
        total_pay_refund_amount: '1.00',
      });
    };
    await disburse(gateway, {
      outOrderNo: 'D1',
      deductAuthNo: 'A1',
      deductOutOrderNo: 'PAY-1',
      outRequestNo: 'R1',
      orderTitle: '红包',
      amount: 1,
      payeeUserId: '2088123456789012',
    });
    expect(JSON.parse(seen[0]!.body.biz_content!)).toMatchObject({ deduct_auth_no: 'A1' });
    expect(JSON.parse(seen[0]!.body.biz_content!)).not.toHaveProperty('deduct_out_order_no');

    const queried = await queryOperation(gateway, { outOrderNo: 'D1', outRequestNo: 'R1' });
    expect(queried).toMatchObject({ status: 'INIT', operationType: 'DISBURSE', totalPayRefundAmount: 100 });
    await queryOperation(gateway, { authNo: 'A1', operationId: 'op-9' });
    expect(JSON.parse(seen[2]!.body.biz_content!)).toEqual({ auth_no: 'A1', operation_id: 'op-9' });
  });

  it('builds app.pay order strings and page.pay URLs and forms that verify', () => {
    const request = {
      outOrderNo: 'PAY-9',
      outRequestNo: 'PAYREQ-9',
      orderTitle: '新年红包 <&>',
      amount: 888,
      payTimeout: '30m',
    };
    const orderString = appPayOrderString(gateway, request, { notifyUrl: 'https://m.example/n' });
    const params = parseFormEncoded(orderString);
    expect(params.method).toBe('alipay.fund.coupon.order.app.pay');
    expect(verifyRsa2(buildSignContent(params), params.sign!, app.publicKey)).toBe(true);

    const page = pagePay(gateway, request, { returnUrl: 'https://m.example/back' });
    const urlParams = parseFormEncoded(new URL(page.url).search);
    expect(verifyRsa2(buildSignContent(urlParams), urlParams.sign!, app.publicKey)).toBe(true);
    expect(page.form).toContain('method="post"');
    expect(page.form).toContain('&lt;&amp;&gt;');
    expect(page.form).toContain('.submit()');
  });

  it('never puts the private key into an error', async () => {
    respond = (_request, res) => void res.writeHead(500).end();
    const error: unknown = await refund(gateway, refundRequest).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AlipayError);
    if (!(error instanceof AlipayError)) return;
    const secret = app.privatePkcs8Pem.split('\n')[1]!;
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain(secret);
  });
});
