// Hundreds of malformed, forged and hostile requests across every route: each gets a clear 4xx,
// the server stays up, and no workflow or ledger changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignContent, signRsa2 } from '../../alipay/sign';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { eventually } from '../helpers/lifecycle-env';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';

let temporal: DevServerHandles;
let env: HttpEnv;
let authNo: string;

beforeAll(async () => {
  temporal = await connectToDevServer();
  env = await startHttpEnv(temporal.nativeConnection);
  ({ authNo } = await env.openPacket({ amount: '10.00', split: 'claimant', ttlSeconds: 3600 }));
  await env.request('POST', `/red-packets/${authNo}/claims`, {
    claimId: 'real',
    payeeUserId: '2088000000000001',
    amount: '1.00',
  });
  await eventually(
    () => env.request('GET', `/red-packets/${authNo}`),
    (response) => (response.json.claims as Array<{ status: string }>)[0]?.status === 'PAID',
  );
});
afterAll(async () => {
  await env?.close();
  await temporal?.close();
});

const HOSTILE_STRINGS = [
  '',
  ' ',
  "'; DROP TABLE packets; --",
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '红包'.repeat(50),
  '😀'.repeat(40),
  'A'.repeat(5000),
  '${jndi:ldap://x}',
  '{{7*7}}',
  '\\u202e',
  'null',
  'NaN',
];
const HOSTILE_VALUES: unknown[] = [
  ...HOSTILE_STRINGS,
  null,
  true,
  0,
  -1,
  1e308,
  2 ** 60,
  1.5,
  [],
  ['10.00'],
  {},
  { $gt: '' },
  '1e2',
  '-0.01',
  '0.001',
  '100000000.01',
];

interface Probe {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
  /** The one bad field of an otherwise valid body: the error must name it. */
  field?: string;
}

/**
 * Hostile values that are valid for a field (letters and digits are a valid `authNo`; a title
 * may hold SQL or markup as text): sent there, they would make a valid request, so they are not
 * probes of that field.
 */
const VALID_FOR: Record<string, unknown[]> = {
  authNo: ['null', 'NaN', '1e2'],
  outOrderNo: ['null', 'NaN', '1e2'],
  payOperationId: ['null', 'NaN', '1e2'],
  claimId: ['null', 'NaN', '1e2', '-0.01', '0.001', '100000000.01'],
  title: [
    ' ',
    "'; DROP TABLE packets; --",
    '<script>alert(1)</script>',
    '../../etc/passwd',
    '%00',
    '${jndi:ldap://x}',
    '{{7*7}}',
    '\\u202e',
    'null',
    'NaN',
    '1e2',
    '-0.01',
    '0.001',
    '100000000.01',
  ],
};

function probes(): Probe[] {
  const list: Probe[] = [];
  const json = (method: string, path: string, body: unknown, field?: string): Probe => ({
    method,
    path,
    body: JSON.stringify(body),
    contentType: 'application/json',
    field,
  });
  const eachBadValue = (field: string, probe: (value: unknown) => Probe): void => {
    for (const value of HOSTILE_VALUES) {
      if (!(VALID_FOR[field] ?? []).includes(value)) list.push(probe(value));
    }
  };
  // Create: a valid body (for a packet that does not exist) with exactly one field hostile.
  const validCreate = {
    authNo: 'HOSTILE1',
    outOrderNo: 'o1',
    payOperationId: 'HOSTILEPAY1',
    amount: '1.00',
    split: 'claimant',
  };
  for (const field of [
    'authNo',
    'outOrderNo',
    'payOperationId',
    'amount',
    'shares',
    'split',
    'ttlSeconds',
    'expiresAt',
    'title',
  ]) {
    eachBadValue(field, (value) => json('POST', '/red-packets', { ...validCreate, [field]: value }, field));
  }
  // Claims on the real packet: a valid claim of 1.00 with exactly one field hostile.
  const validClaim = { claimId: 'h', payeeUserId: '2088000000000002', amount: '1.00' };
  for (const field of ['claimId', 'payeeUserId', 'amount']) {
    eachBadValue(field, (value) =>
      json('POST', `/red-packets/${authNo}/claims`, { ...validClaim, [field]: value }, field),
    );
  }
  list.push(json('POST', `/red-packets/${authNo}/claims`, { ...validClaim, extra: 1 }, 'extra'));
  list.push(json('POST', '/red-packets', { ...validCreate, extra: 1 }, 'extra'));
  // Truncated, empty, wrongly typed and nested bodies.
  for (const body of [
    '{"authNo":',
    '',
    '[]',
    'null',
    '{"a":'.repeat(200),
    JSON.stringify({ a: 'x'.repeat(70_000) }),
  ]) {
    list.push({ method: 'POST', path: '/red-packets', body, contentType: 'application/json' });
    list.push({
      method: 'POST',
      path: `/red-packets/${authNo}/claims`,
      body,
      contentType: 'application/json',
    });
  }
  list.push({ method: 'POST', path: '/red-packets', body: 'authNo=A&amount=1', contentType: 'text/plain' });
  // Path parameters and unknown routes.
  for (const value of HOSTILE_STRINGS.slice(1, 8)) {
    const encoded = encodeURIComponent(value);
    list.push({ method: 'GET', path: `/red-packets/${encoded}` });
    list.push({ method: 'POST', path: `/red-packets/${encoded}/refund` });
    list.push({ method: 'DELETE', path: `/red-packets/${authNo}` });
    list.push({ method: 'GET', path: `/${encoded}` });
  }
  // Notifications: unsigned, forged, tampered, truncated, wrong type.
  const fields = {
    notify_type: 'fund_stdtrustee_refund.success',
    notify_id: 'h1',
    auth_no: authNo,
    amount: '9.00',
    out_request_no: `RP${authNo}R`,
    app_id: env.sandbox.keys.appId,
  };
  const forged = signRsa2(buildSignContent(fields, ['sign', 'sign_type']), env.sandbox.keys.appPrivateKey);
  for (const value of HOSTILE_STRINGS) {
    list.push({
      method: 'POST',
      path: '/alipay/notify',
      body: new URLSearchParams({ ...fields, sign: value }).toString(),
      contentType: 'application/x-www-form-urlencoded',
    });
    list.push({
      method: 'POST',
      path: '/alipay/notify',
      body: new URLSearchParams({ ...fields, amount: value, sign: forged }).toString(),
      contentType: 'application/x-www-form-urlencoded',
    });
    list.push({
      method: 'GET',
      path: `/alipay/notify?${new URLSearchParams({ ...fields, notify_id: value, sign: forged }).toString()}`,
    });
  }
  list.push({
    method: 'POST',
    path: '/alipay/notify',
    body: 'notify_type=%E0%A4%A',
    contentType: 'application/x-www-form-urlencoded',
  });
  list.push({
    method: 'POST',
    path: '/alipay/notify',
    body: JSON.stringify(fields),
    contentType: 'application/json',
  });
  return list;
}

describe('hostile input', () => {
  it('answers every malformed, forged or hostile request with a clear 4xx and changes nothing', async () => {
    const before = (await env.request('GET', `/red-packets/${authNo}`)).json;
    const packetsBefore = env.sandbox.ledger.allPackets().length;
    const all = probes();
    expect(all.length).toBeGreaterThanOrEqual(200);
    const outcomes: Array<{ probe: Probe; status: number; body: string }> = [];
    for (const probe of all) {
      // With a valid key, so each probe reaches the validation it is aimed at.
      const toWebhook = probe.path.startsWith('/alipay/notify');
      const response = await fetch(`${toWebhook ? env.webhookUrl : env.url}${probe.path}`, {
        method: probe.method,
        headers: {
          ...(toWebhook ? {} : { authorization: `Bearer ${env.token}` }),
          ...(probe.contentType ? { 'content-type': probe.contentType } : {}),
        },
        body: probe.body,
      });
      outcomes.push({ probe, status: response.status, body: await response.text() });
    }
    const notClient = outcomes.filter((outcome) => outcome.status < 400 || outcome.status >= 500);
    expect(
      notClient.map(
        (outcome) =>
          `${outcome.status} ${outcome.probe.method} ${outcome.probe.path} ${outcome.probe.body?.slice(0, 80)}`,
      ),
    ).toEqual([]);
    for (const outcome of outcomes) {
      if (outcome.probe.path.startsWith('/alipay/notify')) expect(outcome.body).toBe('fail');
      else expect(JSON.parse(outcome.body)).toHaveProperty('error');
    }
    const misnamed = outcomes.filter(
      (outcome) =>
        outcome.probe.field !== undefined &&
        (outcome.status !== 400 ||
          (JSON.parse(outcome.body) as { field?: string }).field !== outcome.probe.field),
    );
    expect(
      misnamed.map(
        (outcome) =>
          `${outcome.probe.field} ${outcome.probe.body?.slice(0, 120)} -> ${outcome.status} ${outcome.body}`,
      ),
    ).toEqual([]);
    expect((await env.request('GET', '/healthz')).status).toBe(200);
    expect((await env.request('GET', `/red-packets/${authNo}`)).json).toEqual(before);
    expect(env.sandbox.ledger.allPackets()).toHaveLength(packetsBefore);
    expect(env.sandbox.ledger.packet(authNo)).toMatchObject({ disbursed: 100, refunded: 0, balance: 900 });
    expect((await env.request('GET', '/red-packets/HOSTILE1')).status).toBe(404);
  }, 120_000);
});
