import { describe, expect, it } from 'vitest';
import { signRsa2 } from '../../alipay/sign';
import { verifiedResponse } from '../../alipay/response';
import { AlipayError } from '../../alipay/errors';
import { rsaKeyPair } from '../helpers/keys';

const alipay = rsaKeyPair();
const stranger = rsaKeyPair();
const METHOD = 'alipay.fund.coupon.order.refund';

/** A body as Alipay writes it: the node's raw text is what gets signed. */
function signedBody(node: string, extra = ''): string {
  return `{"alipay_fund_coupon_order_refund_response":${node},${extra}"sign":"${signRsa2(node, alipay.privateKey)}"}`;
}

function verify(body: string): Record<string, unknown> {
  return { ...verifiedResponse({ method: METHOD, body, alipayPublicKey: alipay.publicKey }) };
}

function failure(body: string): AlipayError {
  try {
    verify(body);
  } catch (error) {
    if (error instanceof AlipayError) return error;
    throw error;
  }
  throw new Error('expected an AlipayError');
}

describe('response verification', () => {
  it('verifies the raw node with escaped slashes, unicode escapes and unusual key order', () => {
    const node =
      '{"status":"SUCCESS","msg":"Success","code":"10000","url":"https:\\/\\/x.example\\/a","order_title":"\\u7ea2\\u5305",' +
      '"amount":"1.00", "nested":{"b":1,"a":[1,2,{"c":"}"}]}}';
    const body = signedBody(node);
    // A re-serialisation would differ: proves we sign-check the raw text, not JSON.stringify output.
    expect(JSON.stringify(JSON.parse(node))).not.toBe(node);
    const data = verify(body);
    expect(data.order_title).toBe('红包');
    expect(data.url).toBe('https://x.example/a');
  });

  it('accepts whitespace around members and a sign placed first', () => {
    const node = '{"code":"10000","msg":"Success"}';
    const body = ` { "sign" : "${signRsa2(node, alipay.privateKey)}" ,\n "alipay_fund_coupon_order_refund_response" : ${node} } `;
    expect(verify(body).code).toBe('10000');
  });

  it('rejects a tampered body', () => {
    const node = '{"code":"10000","msg":"Success","amount":"1.00"}';
    const tampered = signedBody(node).replace('"1.00"', '"9.00"');
    expect(failure(tampered)).toMatchObject({
      kind: 'transient',
      message: expect.stringContaining('does not verify'),
    });
  });

  it('rejects a body signed with another key', () => {
    const node = '{"code":"10000","msg":"Success"}';
    const body = `{"alipay_fund_coupon_order_refund_response":${node},"sign":"${signRsa2(node, stranger.privateKey)}"}`;
    expect(failure(body).message).toContain('does not verify');
  });

  it('rejects an unsigned success response', () => {
    expect(
      failure('{"alipay_fund_coupon_order_refund_response":{"code":"10000","msg":"Success"}}').message,
    ).toContain('unsigned');
  });

  it('rejects unparseable bodies and bodies without the node as transient', () => {
    expect(failure('<html>bad gateway</html>').kind).toBe('transient');
    expect(failure('{"other_response":{"code":"10000"},"sign":"x"}').kind).toBe('transient');
  });

  it('classifies signed business failures', () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['20000', 'isp.unknow-error', 'transient'],
      ['40004', 'UNIQUE_VIOLATION', 'ambiguous'],
      ['40004', 'SYSTEM_ERROR', 'transient'],
      ['40004', 'MONEY_NOT_ENOUGH', 'permanent'],
      ['40004', 'ORDER_ALREADY_CLOSED', 'permanent'],
      ['40002', 'isv.invalid-signature', 'permanent'],
      ['20001', 'aop.invalid-auth-token', 'permanent'],
      ['40006', 'isv.insufficient-isv-permissions', 'permanent'],
    ];
    for (const [code, subCode, kind] of cases) {
      const node = JSON.stringify({ code, msg: 'Business Failed', sub_code: subCode, sub_msg: '余额不足' });
      const error = failure(signedBody(node));
      expect(error).toMatchObject({ kind, code, subCode, method: METHOD });
    }
  });

  it('checks alipay_cert_sn against the configured certificate', () => {
    const node = '{"code":"10000","msg":"Success"}';
    const body = signedBody(node, '"alipay_cert_sn":"other",');
    expect(() =>
      verifiedResponse({ method: METHOD, body, alipayPublicKey: alipay.publicKey, alipayCertSn: 'expected' }),
    ).toThrow(/signed by Alipay certificate other/);
    expect(
      verifiedResponse({
        method: METHOD,
        body: signedBody(node, '"alipay_cert_sn":"expected",'),
        alipayPublicKey: alipay.publicKey,
        alipayCertSn: 'expected',
      }).code,
    ).toBe('10000');
  });
});
