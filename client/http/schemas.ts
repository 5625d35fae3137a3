// JSON schemas of the service API (validated by Fastify before a route runs).

const AUTH_NO = { type: 'string', pattern: '^[0-9A-Za-z]{1,48}$' } as const;
const AMOUNT = { type: 'string', maxLength: 16 } as const;

export const authNoParams = {
  type: 'object',
  required: ['authNo'],
  properties: { authNo: AUTH_NO },
} as const;

export const createBody = {
  type: 'object',
  required: ['authNo', 'outOrderNo', 'amount'],
  additionalProperties: false,
  properties: {
    authNo: AUTH_NO,
    outOrderNo: { type: 'string', pattern: '^[0-9A-Za-z_-]{1,64}$' },
    payOperationId: { type: 'string', pattern: '^[0-9A-Za-z_-]{1,64}$' },
    payOutRequestNo: { type: 'string', pattern: '^[0-9A-Za-z_-]{1,64}$' },
    amount: AMOUNT,
    shares: { type: 'integer', minimum: 1, maximum: 10_000 },
    split: { type: 'string', enum: ['fixed', 'random', 'claimant'] },
    ttlSeconds: { type: 'integer', minimum: 1, maximum: 30 * 24 * 3600 },
    expiresAt: { type: 'string', maxLength: 40 },
    // Counted as Alipay counts, and checked for control characters, by input-rules.ts.
    title: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

export const claimBody = {
  type: 'object',
  required: ['claimId'],
  additionalProperties: false,
  properties: {
    claimId: { type: 'string', pattern: '^[0-9A-Za-z_.:-]{1,64}$' },
    payeeUserId: { type: 'string', pattern: '^2088[0-9]{12}$' },
    payeeLogonId: { type: 'string', minLength: 1, maxLength: 200 },
    amount: AMOUNT,
  },
} as const;

export const claimsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // Query strings are not coerced (coerceTypes is off): the route reads the number.
    limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
    cursor: { type: 'string', maxLength: 16 },
  },
} as const;

export interface ClaimsQuery {
  limit?: string;
  cursor?: string;
}

const OUT_ORDER_NO = { type: 'string', pattern: '^[0-9A-Za-z_-]{1,63}$' } as const;

export const outOrderNoParams = {
  type: 'object',
  required: ['outOrderNo'],
  properties: { outOrderNo: OUT_ORDER_NO },
} as const;

export const orderBody = {
  type: 'object',
  required: ['outOrderNo', 'amount', 'pay'],
  additionalProperties: false,
  properties: {
    // 63 at most: the pay's out_request_no is this plus one character, within Alipay's 64.
    outOrderNo: OUT_ORDER_NO,
    amount: AMOUNT,
    shares: createBody.properties.shares,
    split: createBody.properties.split,
    ttlSeconds: createBody.properties.ttlSeconds,
    expiresAt: createBody.properties.expiresAt,
    title: createBody.properties.title,
    pay: { type: 'string', enum: ['agreement', 'app', 'page'] },
    payerUserId: { type: 'string', pattern: '^2088[0-9]{12}$' },
    payTimeoutSeconds: { type: 'integer', minimum: 60, maximum: 7 * 24 * 3600 },
  },
} as const;
