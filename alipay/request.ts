// Builds and signs the protocol parameters of an OpenAPI request (pure: no I/O).
import type { KeyObject } from 'node:crypto';
import { buildSignContent, signRsa2 } from './sign';
import { alipayTimestamp } from './timestamp';

export interface AlipayCredentials {
  appId: string;
  privateKey: KeyObject;
  alipayPublicKey: KeyObject;
  /** Certificate mode; absent in public-key mode. */
  certificates?: { appCertSn: string; alipayRootCertSn: string; alipayCertSn: string };
  appAuthToken?: string;
}

export interface RequestExtras {
  notifyUrl?: string;
  returnUrl?: string;
}

/** Parameters that travel in the URL query; `biz_content` goes in the form body. */
export const QUERY_PARAMETERS = [
  'app_id',
  'method',
  'format',
  'charset',
  'sign_type',
  'sign',
  'timestamp',
  'version',
  'notify_url',
  'return_url',
  'app_auth_token',
  'app_cert_sn',
  'alipay_root_cert_sn',
] as const;

export type SignedParams = Record<string, string>;

export function signedRequestParams(
  method: string,
  bizContent: Readonly<Record<string, unknown>>,
  credentials: AlipayCredentials,
  extras: RequestExtras,
  now: Date,
): SignedParams {
  const params: SignedParams = {
    app_id: credentials.appId,
    method,
    format: 'JSON',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: alipayTimestamp(now),
    version: '1.0',
    biz_content: JSON.stringify(bizContent),
  };
  if (extras.notifyUrl) params.notify_url = extras.notifyUrl;
  if (extras.returnUrl) params.return_url = extras.returnUrl;
  if (credentials.appAuthToken) params.app_auth_token = credentials.appAuthToken;
  if (credentials.certificates) {
    params.app_cert_sn = credentials.certificates.appCertSn;
    params.alipay_root_cert_sn = credentials.certificates.alipayRootCertSn;
  }
  params.sign = signRsa2(buildSignContent(params), credentials.privateKey);
  return params;
}

export function splitForTransport(params: SignedParams): { query: URLSearchParams; body: URLSearchParams } {
  const query = new URLSearchParams();
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    ((QUERY_PARAMETERS as readonly string[]).includes(key) ? query : body).set(key, value);
  }
  return { query, body };
}
