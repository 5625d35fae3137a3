// Our signatures must equal, byte for byte, those of the independent `alipay-sdk` package.
import { describe, expect, it } from 'vitest';
import { AlipaySdk } from 'alipay-sdk';
import { buildSignContent, signRsa2, verifyRsa2 } from '../../alipay/sign';
import { signedRequestParams } from '../../alipay/request';
import { rsaKeyPair } from '../helpers/keys';

const app = rsaKeyPair();
const alipay = rsaKeyPair();
const APP_ID = '2021000000000000';

const oracle = new AlipaySdk({
  appId: APP_ID,
  privateKey: app.privatePkcs8Pem.trim(),
  keyType: 'PKCS8',
  alipayPublicKey: alipay.publicPem.trim(),
  gateway: 'http://127.0.0.1:1/gateway.do',
});

/** A small deterministic PRNG so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const FRAGMENTS = [
  '红包',
  '收发现金红包',
  ' ',
  '+',
  '&',
  '=',
  '%',
  '/',
  '%20',
  'a b',
  'é',
  '😀',
  '"',
  '\\',
  '?x=1',
  'plain',
  '0.01',
  '',
];

function generatedCase(seed: number): {
  biz: Record<string, unknown>;
  notifyUrl: string | undefined;
  empty: string[];
} {
  const random = prng(seed);
  const pick = (): string => FRAGMENTS[Math.floor(random() * FRAGMENTS.length)]!;
  const phrase = (): string => Array.from({ length: 1 + Math.floor(random() * 4) }, pick).join('');
  const biz: Record<string, unknown> = {
    out_order_no: `ORDER${seed}${phrase()}`,
    order_title: phrase(),
    amount: `${seed}.0${seed % 10}`,
    remark: phrase(),
  };
  if (random() < 0.6)
    biz.extra_param = JSON.stringify({ merchantExt: `orderExpiredTime=${seed % 60}m`, note: phrase() });
  if (random() < 0.5)
    biz.nested_info = {
      title: phrase(),
      items: [phrase(), { inner: phrase(), empty: '' }],
      flag: random() < 0.5,
    };
  if (random() < 0.3) biz.empty_value = '';
  const notifyUrl =
    random() < 0.7 ? `https://merchant.example/notify?x=${encodeURIComponent(phrase())}&y=+/%` : undefined;
  const empty = random() < 0.5 ? ['app_auth_token'] : [];
  return { biz, notifyUrl, empty };
}

describe('RSA2 request signatures against alipay-sdk', () => {
  const cases = Array.from({ length: 60 }, (_, index) => index + 1);

  it.each(cases)('case %i: same sign content and signature', (seed) => {
    const { biz, notifyUrl, empty } = generatedCase(seed);
    const sdkString = oracle.sdkExecute('alipay.fund.coupon.order.app.pay', {
      bizContent: biz,
      ...(notifyUrl ? { notifyUrl } : {}),
    });
    const sdkParams = Object.fromEntries(new URLSearchParams(sdkString));
    const sdkSignature = sdkParams.sign!;

    // Empty values are dropped from the sign content, so adding some must not change the signature.
    const withEmpties: Record<string, string> = { ...sdkParams };
    for (const key of empty) withEmpties[key] = '';
    expect(signRsa2(buildSignContent(withEmpties), app.privateKey)).toBe(sdkSignature);
    expect(verifyRsa2(buildSignContent(sdkParams), sdkSignature, app.publicKey)).toBe(true);

    // Our request builder produces the same parameters: the timestamp aside (each uses its own
    // clock), and `format=JSON`, which we send and the SDK leaves to the gateway's default.
    const ours = signedRequestParams(
      'alipay.fund.coupon.order.app.pay',
      biz,
      { appId: APP_ID, privateKey: app.privateKey, alipayPublicKey: alipay.publicKey },
      { notifyUrl },
      new Date(),
    );
    const { sign: _ourSign, timestamp: _ourTime, format, ...ourRest } = ours;
    expect(format).toBe('JSON');
    const { sign: _sdkSign, timestamp: _sdkTime, ...sdkRest } = sdkParams;
    expect(ourRest).toEqual(sdkRest);
  });

  it('a changed parameter changes the signature', () => {
    const params = { app_id: APP_ID, method: 'x', biz_content: '{"amount":"1.00"}' };
    const signature = signRsa2(buildSignContent(params), app.privateKey);
    expect(
      verifyRsa2(buildSignContent({ ...params, biz_content: '{"amount":"1.01"}' }), signature, app.publicKey),
    ).toBe(false);
    expect(verifyRsa2(buildSignContent(params), signature, alipay.publicKey)).toBe(false);
  });

  it('sorts keys by byte order and joins raw values', () => {
    expect(buildSignContent({ b: '2', a: 'x&y=z', B: '3', sign: 'dropped', c: '', d: undefined })).toBe(
      'B=3&a=x&y=z&b=2',
    );
  });
});
