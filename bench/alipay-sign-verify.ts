// Sign and verify throughput: ours against alipay-sdk on the same inputs, in the same run.
// Goal: ratio (ours / sdk) >= 1.0 for both.   npm run bench:alipay
import { generateKeyPairSync } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import { signedRequestParams } from '../alipay/request';
import { verifiedResponse } from '../alipay/response';
import { signRsa2 } from '../alipay/sign';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 3000);
const METHOD = 'alipay.fund.coupon.order.disburse';

const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const alipay = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (key: typeof app.privateKey, type: 'pkcs8' | 'spki'): string =>
  key.export({ format: 'pem', type }).toString().trim();

const sdk = new AlipaySdk({
  appId: '2021000000000000',
  privateKey: pem(app.privateKey, 'pkcs8'),
  keyType: 'PKCS8',
  alipayPublicKey: pem(alipay.publicKey, 'spki'),
});
const credentials = {
  appId: '2021000000000000',
  privateKey: app.privateKey,
  alipayPublicKey: alipay.publicKey,
};

const biz = {
  out_order_no: 'rp-d-2026112510002001110000000001-claim-42',
  deduct_auth_no: '2026112510002001110000000001',
  out_request_no: 'rp-d-2026112510002001110000000001-claim-42',
  order_title: '新年红包',
  amount: '8.88',
  payee_user_id: '2088102122524333',
};
const node = JSON.stringify({
  code: '10000',
  msg: 'Success',
  ...biz,
  operation_id: '20261125000000001',
  status: 'SUCCESS',
});
const body = `{"${METHOD.replaceAll('.', '_')}_response":${node},"sign":"${signRsa2(node, alipay.privateKey)}"}`;

function opsPerSecond(run: () => void): number {
  for (let i = 0; i < 200; i++) run(); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return ITERATIONS / seconds;
}

const now = new Date();
const results = [
  {
    operation: 'sign request',
    ours: opsPerSecond(() => signedRequestParams(METHOD, biz, credentials, {}, now)),
    sdk: opsPerSecond(() => sdk.sdkExecute(METHOD, { bizContent: biz })),
  },
  {
    operation: 'verify response',
    ours: opsPerSecond(() => verifiedResponse({ method: METHOD, body, alipayPublicKey: alipay.publicKey })),
    sdk: opsPerSecond(() =>
      sdk.checkResponseSign(body, `${METHOD.replaceAll('.', '_')}_response`, JSON.parse(body).sign, 'bench'),
    ),
  },
];

console.log(`alipay sign/verify, ${ITERATIONS} iterations each, RSA-2048`);
for (const { operation, ours, sdk: theirs } of results) {
  const ratio = ours / theirs;
  console.log(
    `${operation.padEnd(16)} ours ${ours.toFixed(0).padStart(7)}/s  alipay-sdk ${theirs.toFixed(0).padStart(7)}/s  ratio ${ratio.toFixed(2)} ${ratio >= 1 ? '(goal >= 1.0 met)' : '(goal >= 1.0 MISSED)'}`,
  );
}
