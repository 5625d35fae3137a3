// The independent alipay-sdk, configured with the sandbox's key files, must be served correctly.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlipaySdk } from 'alipay-sdk';
import { parseFormEncoded } from '../../alipay/notify';
import { certificateSn, rootCertificateSn } from '../../alipay/certs';
import { AlipayGateway } from '../../alipay/gateway';
import { loadPrivateKey, loadPublicKey } from '../../alipay/keys';
import { queryOperation } from '../../alipay/methods';
import type { RunningSandbox } from '../../sandbox/server';
import { startTestSandbox } from '../helpers/sandbox';

let sandbox: RunningSandbox;
let sdk: AlipaySdk;
let receiver: Server;
let notifyUrl: string;
const received: Array<Record<string, string>> = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const file = (name: string): string => readFileSync(join(sandbox.keys.dir, name), 'utf8').trim();
  sdk = new AlipaySdk({
    appId: sandbox.keys.appId,
    privateKey: file('app_private_key.pem'),
    alipayPublicKey: file('alipay_public_key.pem'),
    gateway: sandbox.gatewayUrl,
  });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(parseFormEncoded(body));
      res.end('success');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('alipay-sdk against the sandbox gateway', () => {
  it('pays, disburses, refunds and queries with response signature checking on', async () => {
    const pay = await sdk.exec(
      'alipay.fund.coupon.order.agreement.pay',
      {
        bizContent: {
          out_order_no: 'SDK-PAY-1',
          out_request_no: 'SDK-PAY-1-R',
          order_title: '新年红包',
          amount: '10.00',
          payer_user_id: '2088000000000001',
        },
      },
      { validateSign: true },
    );
    expect(pay).toMatchObject({ code: '10000', status: 'SUCCESS', amount: '10.00' });
    const authNo = pay.authNo as string;

    const disbursed = await sdk.exec(
      'alipay.fund.coupon.order.disburse',
      {
        bizContent: {
          out_order_no: 'SDK-D-1',
          deduct_auth_no: authNo,
          out_request_no: 'SDK-D-1-R',
          order_title: '领取红包',
          amount: '3.33',
          payee_user_id: '2088000000000002',
        },
      },
      { validateSign: true },
    );
    expect(disbursed).toMatchObject({ code: '10000', status: 'SUCCESS', amount: '3.33' });

    const refunded = await sdk.exec(
      'alipay.fund.coupon.order.refund',
      {
        notify_url: notifyUrl,
        bizContent: { auth_no: authNo, out_request_no: 'SDK-RF-1', amount: '6.67', remark: '未领取退回' },
      },
      { validateSign: true },
    );
    expect(refunded).toMatchObject({ code: '10000', status: 'SUCCESS', amount: '6.67' });

    const queried = await sdk.exec(
      'alipay.fund.coupon.operation.query',
      { bizContent: { auth_no: authNo, operation_id: refunded.operationId } },
      { validateSign: true },
    );
    expect(queried).toMatchObject({
      code: '10000',
      operationType: 'REFUND',
      amount: '6.67',
      status: 'SUCCESS',
    });

    const ledger = (await (await fetch(`${sandbox.url}/sandbox/packets/${authNo}`)).json()) as Record<
      string,
      string
    >;
    expect(ledger).toMatchObject({
      funded: '10.00',
      disbursed: '3.33',
      refunded: '6.67',
      balance: '0.00',
      status: 'CLOSED',
    });

    // The refund notification arrives at the refund call's notify_url and checkNotifySignV2 accepts it.
    for (let i = 0; i < 100 && received.length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      notify_type: 'fund_stdtrustee_refund.success',
      auth_no: authNo,
      amount: '6.67',
    });
    expect(sdk.checkNotifySignV2(received[0]!)).toBe(true);
    expect(sdk.checkNotifySignV2({ ...received[0]!, amount: '60.67' })).toBe(false);
  });

  it('refuses a request signed with another key, with the code Alipay uses', async () => {
    const stranger = new AlipaySdk({
      appId: sandbox.keys.appId,
      privateKey: readFileSync(join(sandbox.keys.dir, 'alipay_private_key.pem'), 'utf8').trim(),
      alipayPublicKey: readFileSync(join(sandbox.keys.dir, 'alipay_public_key.pem'), 'utf8').trim(),
      gateway: sandbox.gatewayUrl,
    });
    const result = await stranger.exec(
      'alipay.fund.coupon.operation.query',
      { bizContent: { auth_no: 'x', operation_id: 'y' } },
      { validateSign: true },
    );
    expect(result).toMatchObject({ code: '40002', subCode: 'isv.invalid-signature' });
  });

  it('serves certificate mode: alipay-sdk with the sandbox certificates, and our client with their SNs', async () => {
    const file = (name: string): string => readFileSync(join(sandbox.keys.dir, name), 'utf8');
    const certSdk = new AlipaySdk({
      appId: sandbox.keys.appId,
      privateKey: file('app_private_key.pem').trim(),
      appCertContent: file('app_cert.pem'),
      alipayPublicCertContent: file('alipay_cert.pem'),
      alipayRootCertContent: file('alipay_root_cert.pem'),
      gateway: sandbox.gatewayUrl,
    });
    const paid = await certSdk.exec(
      'alipay.fund.coupon.order.agreement.pay',
      {
        bizContent: {
          out_order_no: 'SDK-CERT-1',
          out_request_no: 'SDK-CERT-1-R',
          order_title: '证书模式',
          amount: '1.00',
          payer_user_id: '2088000000000001',
        },
      },
      { validateSign: true },
    );
    expect(paid).toMatchObject({ code: '10000', status: 'SUCCESS' });

    const certificates = {
      appCertSn: certificateSn(file('app_cert.pem')),
      alipayRootCertSn: rootCertificateSn(file('alipay_root_cert.pem')),
      alipayCertSn: certificateSn(file('alipay_cert.pem')),
    };
    const ours = new AlipayGateway({
      gateway: sandbox.gatewayUrl,
      appId: sandbox.keys.appId,
      privateKey: loadPrivateKey(file('app_private_key.pem')),
      alipayPublicKey: loadPublicKey(file('alipay_cert.pem')),
      certificates,
    });
    const found = await queryOperation(ours, {
      authNo: paid.authNo as string,
      operationId: paid.operationId as string,
    });
    expect(found.amount).toBe(100);

    const staleCert = new AlipayGateway({
      gateway: sandbox.gatewayUrl,
      appId: sandbox.keys.appId,
      privateKey: loadPrivateKey(file('app_private_key.pem')),
      alipayPublicKey: loadPublicKey(file('alipay_cert.pem')),
      certificates: { ...certificates, alipayCertSn: 'an-older-alipay-certificate' },
    });
    await expect(queryOperation(staleCert, { authNo: 'a', operationId: 'b' })).rejects.toThrow(
      /signed by Alipay certificate/,
    );
    const wrongApp = new AlipayGateway({
      gateway: sandbox.gatewayUrl,
      appId: sandbox.keys.appId,
      privateKey: loadPrivateKey(file('app_private_key.pem')),
      alipayPublicKey: loadPublicKey(file('alipay_cert.pem')),
      certificates: { ...certificates, appCertSn: '0123456789abcdef0123456789abcdef' },
    });
    await expect(queryOperation(wrongApp, { authNo: 'a', operationId: 'b' })).rejects.toMatchObject({
      code: '40002',
      subCode: 'isv.app-cert-sn-invalid',
    });
    await Promise.all([ours.close(), staleCert.close(), wrongApp.close()]);
  });
});
