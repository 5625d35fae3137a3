// Alipay's response shape, signed with the sandbox's Alipay key.
import type { KeyObject } from 'node:crypto';
import { responseNodeName } from '../alipay/response';
import { signRsa2 } from '../alipay/sign';

export interface Signer {
  alipayPrivateKey: KeyObject;
  /** Set when the caller used certificate mode: the response names the signing certificate. */
  alipayCertSn?: string;
}

export function signedResponse(nodeName: string, node: Record<string, unknown>, signer: Signer): string {
  const raw = JSON.stringify(node);
  const certSn = signer.alipayCertSn ? `,"alipay_cert_sn":${JSON.stringify(signer.alipayCertSn)}` : '';
  return `{${JSON.stringify(nodeName)}:${raw}${certSn},"sign":${JSON.stringify(signRsa2(raw, signer.alipayPrivateKey))}}`;
}

export function success(method: string, fields: Record<string, unknown>, signer: Signer): string {
  return signedResponse(responseNodeName(method), { code: '10000', msg: 'Success', ...fields }, signer);
}

const MESSAGES: Record<string, string> = {
  '20000': 'Service Currently Unavailable',
  '40001': 'Missing Required Arguments',
  '40002': 'Invalid Arguments',
  '40004': 'Business Failed',
  '40005': 'Call Limited',
  '40006': 'Insufficient Permissions',
};

export function failure(
  nodeName: string,
  code: keyof typeof MESSAGES,
  subCode: string,
  subMsg: string,
  signer: Signer,
): string {
  return signedResponse(nodeName, { code, msg: MESSAGES[code], sub_code: subCode, sub_msg: subMsg }, signer);
}
