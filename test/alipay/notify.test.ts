import { describe, expect, it } from 'vitest';
import { AlipaySdk } from 'alipay-sdk';
import { buildSignContent, signRsa2 } from '../../alipay/sign';
import { parseFormEncoded, verifyNotification } from '../../alipay/notify';
import { rsaKeyPair } from '../helpers/keys';

const alipay = rsaKeyPair();
const app = rsaKeyPair();

const fields = {
  notify_type: 'fund_stdtrustee_refund.success',
  notify_id: '2026112500222150002011111111111111',
  notify_time: '2026-11-25 20:00:01',
  app_id: '2021000000000000',
  auth_no: '2026112510002001110000000001',
  out_order_no: 'PAY-20261125-0001',
  operation_id: '20261125112345678901',
  out_request_no: 'rp-refund-2026112510002001110000000001',
  operation_type: 'REFUND',
  amount: '3.50',
  status: 'SUCCESS',
  gmt_create: '2026-11-25 19:59:58',
  gmt_trans: '2026-11-25 20:00:00',
  payer_logon_id: 'user+test@example.com',
  payer_user_id: '2088102122524333',
  remark: '红包 未领取 部分退回 & 完成',
};

function signed(params: Record<string, string>): Record<string, string> {
  const sign = signRsa2(buildSignContent(params, ['sign', 'sign_type']), alipay.privateKey);
  return { ...params, sign_type: 'RSA2', sign };
}

const form = (params: Record<string, string>): string => new URLSearchParams(params).toString();

describe('notification verification', () => {
  it('verifies a POST form body and types the notification', () => {
    const result = verifyNotification(parseFormEncoded(form(signed(fields))), alipay.publicKey);
    expect(result).toMatchObject({
      ok: true,
      notification: {
        notifyType: 'fund_stdtrustee_refund.success',
        amount: 350,
        payerLogonId: 'user+test@example.com',
      },
    });
  });

  it('verifies the same fields sent as a GET query string', () => {
    const query = `?${form(signed(fields))}`;
    expect(verifyNotification(parseFormEncoded(query), alipay.publicKey).ok).toBe(true);
  });

  it('decodes exactly once: a value that looks encoded stays as sent', () => {
    const params = signed({ ...fields, remark: 'rate 100%25 off' });
    const result = verifyNotification(parseFormEncoded(form(params)), alipay.publicKey);
    expect(result.ok).toBe(true);
    // Decoding twice would have turned %25 into % and broken the signature.
    expect(parseFormEncoded(form(params)).remark).toBe('rate 100%25 off');
  });

  it('agrees with alipay-sdk checkNotifySignV2', () => {
    const sdk = new AlipaySdk({
      appId: fields.app_id,
      privateKey: app.privatePkcs1Pem.trim(),
      alipayPublicKey: alipay.publicPem.trim(),
    });
    const params = parseFormEncoded(form(signed(fields)));
    expect(sdk.checkNotifySignV2(params)).toBe(true);
    expect(verifyNotification(params, alipay.publicKey).ok).toBe(true);
    const tampered = { ...params, amount: '35.00' };
    expect(sdk.checkNotifySignV2(tampered)).toBe(false);
    expect(verifyNotification(tampered, alipay.publicKey)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('treats the literal null as absent in the typed result', () => {
    // The seed's shape: a GET query string whose absent fields read `null`.
    const withNulls = { ...fields, payer_logon_id: 'null', gmt_create: 'null', operation_id: 'null' };
    const result = verifyNotification(parseFormEncoded(form(signed(withNulls))), alipay.publicKey);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.notification.payerLogonId).toBeUndefined();
      expect(result.notification.operationId).toBeUndefined();
      expect(result.notification.gmtCreate).toBeUndefined();
    }
  });

  it('rejects the seed-shaped GET query string: null fields, a raw space, a + in the signature', () => {
    // Shape of the example Alipay's red packet guide shows: every business field the literal null.
    const seedLike =
      'notify_type=trade_status_sync&notify_id=91722adff935e8cfa58b3aabf4dead6ibe&notify_time=2017-02-16 21:46:15' +
      '&sign_type=RSA2&sign=WcO+t3D8Kg71dTlKwN7r9PzUOXeaBJwp8/FOuSxcuSkXsoVYxBpsAidprySCjHCjmaglNcjoKJQLJ28=' +
      '&auth_no=null&out_order_no=null&operation_id=null&out_request_no=null&operation_type=null&amount=null' +
      '&status=null&gmt_create=null&gmt_trans=null&payer_logon_id=null&payer_user_id=null';
    const params = parseFormEncoded(seedLike);
    expect(params.notify_time).toBe('2017-02-16 21:46:15');
    expect(params.sign).toContain(' '); // a form decoder turns the raw + into a space: it can never verify
    expect(verifyNotification(params, alipay.publicKey)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('rejects a tampered amount, a missing signature, a foreign key and other sign types', () => {
    const params = signed(fields);
    expect(verifyNotification({ ...params, amount: '350.00' }, alipay.publicKey)).toMatchObject({
      reason: 'bad-signature',
    });
    const { sign: _sign, ...unsigned } = params;
    expect(verifyNotification(unsigned, alipay.publicKey)).toMatchObject({ reason: 'missing-signature' });
    expect(verifyNotification(params, app.publicKey)).toMatchObject({ reason: 'bad-signature' });
    expect(verifyNotification({ ...params, sign_type: 'RSA' }, alipay.publicKey)).toMatchObject({
      reason: 'unsupported-sign-type',
    });
  });

  it('rejects a signed notification without notify_id or with a malformed amount', () => {
    const { notify_id: _id, ...noId } = fields;
    expect(verifyNotification(signed(noId), alipay.publicKey)).toMatchObject({ reason: 'missing-field' });
    expect(verifyNotification(signed({ ...fields, amount: '1.005' }), alipay.publicKey)).toMatchObject({
      reason: 'bad-amount',
    });
  });

  it('refuses a body with a repeated field', () => {
    expect(() => parseFormEncoded('amount=1.00&amount=2.00')).toThrow(/twice/);
  });
});
