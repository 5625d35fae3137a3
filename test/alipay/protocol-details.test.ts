// Protocol details at a fixed instant: the timestamp Alipay expects, a signed error_response,
// certificate mode when a response carries no alipay_cert_sn, and app_auth_token under the sign.
import { describe, expect, it } from 'vitest';
import { AlipayError } from '../../alipay/errors';
import { signedRequestParams, splitForTransport } from '../../alipay/request';
import { verifiedResponse } from '../../alipay/response';
import { buildSignContent, signRsa2, verifyRsa2 } from '../../alipay/sign';
import { alipayTimestamp } from '../../alipay/timestamp';
import { rsaKeyPair } from '../helpers/keys';

const app = rsaKeyPair();
const alipay = rsaKeyPair();
const METHOD = 'alipay.fund.coupon.order.disburse';
/** 2026-12-31 16:30:05 UTC: 00:30:05 on New Year's Day in Beijing. */
const INSTANT = new Date(Date.UTC(2026, 11, 31, 16, 30, 5));

function failureOf(body: string, alipayCertSn?: string): AlipayError {
  try {
    verifiedResponse({ method: METHOD, body, alipayPublicKey: alipay.publicKey, alipayCertSn });
  } catch (error) {
    if (error instanceof AlipayError) return error;
    throw error;
  }
  throw new Error('expected an AlipayError');
}

describe('protocol details at a fixed instant', () => {
  it('writes the timestamp in Beijing time (UTC+8), across a date line, whatever the machine zone', () => {
    expect(alipayTimestamp(INSTANT)).toBe('2027-01-01 00:30:05');
    const params = signedRequestParams(
      METHOD,
      { amount: '1.00' },
      { appId: '2021000000000000', privateKey: app.privateKey, alipayPublicKey: alipay.publicKey },
      {},
      INSTANT,
    );
    expect(params.timestamp).toBe('2027-01-01 00:30:05');
  });

  it('signs app_auth_token with the rest and sends it in the query, not the body', () => {
    const params = signedRequestParams(
      METHOD,
      { amount: '1.00' },
      {
        appId: '2021000000000000',
        privateKey: app.privateKey,
        alipayPublicKey: alipay.publicKey,
        appAuthToken: '202612BBxxxx',
      },
      {},
      INSTANT,
    );
    expect(buildSignContent(params)).toContain('app_auth_token=202612BBxxxx&');
    expect(verifyRsa2(buildSignContent(params), params.sign!, app.publicKey)).toBe(true);
    const tampered = { ...params, app_auth_token: '202612CCyyyy' };
    expect(verifyRsa2(buildSignContent(tampered), params.sign!, app.publicKey)).toBe(false);
    const { query, body } = splitForTransport(params);
    expect(query.get('app_auth_token')).toBe('202612BBxxxx');
    expect(body.has('app_auth_token')).toBe(false);
  });

  it('verifies a signed error_response and reports its codes; an unsigned or forged one is not believed', () => {
    const node =
      '{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"}';
    const signed = `{"error_response":${node},"sign":"${signRsa2(node, alipay.privateKey)}"}`;
    expect(failureOf(signed)).toMatchObject({ code: '40002', subCode: 'isv.invalid-signature' });
    expect(failureOf(`{"error_response":${node}}`)).toMatchObject({ kind: 'transient', code: undefined });
    const forged = `{"error_response":${node},"sign":"${signRsa2(node, app.privateKey)}"}`;
    expect(failureOf(forged)).toMatchObject({ kind: 'transient', code: undefined });
  });

  it('in certificate mode, takes a response without alipay_cert_sn on its signature alone', () => {
    const node = '{"code":"10000","msg":"Success","status":"SUCCESS"}';
    const body = `{"alipay_fund_coupon_order_disburse_response":${node},"sign":"${signRsa2(node, alipay.privateKey)}"}`;
    expect(
      verifiedResponse({ method: METHOD, body, alipayPublicKey: alipay.publicKey, alipayCertSn: 'expected' }),
    ).toMatchObject({ code: '10000' });
    const forged = `{"alipay_fund_coupon_order_disburse_response":${node},"sign":"${signRsa2(node, app.privateKey)}"}`;
    expect(failureOf(forged, 'expected')).toMatchObject({ kind: 'transient' });
  });
});
