// Verifies a gateway response over the raw text of its node before anything is read from it.
import type { KeyObject } from 'node:crypto';
import { AlipayError, classifyFailure } from './errors';
import { topLevelRawMembers } from './raw-json';
import { verifyRsa2 } from './sign';

export type ResponseNode = Readonly<Record<string, unknown>>;

export interface VerifiedResponseInput {
  method: string;
  body: string;
  alipayPublicKey: KeyObject;
  /** Certificate mode: the SN of the Alipay public certificate we trust. */
  alipayCertSn?: string;
  traceId?: string;
}

export function responseNodeName(method: string): string {
  return `${method.replaceAll('.', '_')}_response`;
}

function parseJsonString(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const value: unknown = JSON.parse(raw);
  return typeof value === 'string' ? value : undefined;
}

/**
 * Returns the verified success node (code 10000) or throws an AlipayError: unparseable or
 * unsigned or badly signed bodies are transient (the same request may be sent again); business
 * failures carry Alipay's code and sub_code with their classification.
 */
export function verifiedResponse(input: VerifiedResponseInput): ResponseNode {
  const { method, traceId } = input;
  let members: Map<string, string>;
  try {
    members = topLevelRawMembers(input.body);
  } catch (error) {
    throw new AlipayError('response body is not a JSON object', {
      kind: 'transient',
      method,
      traceId,
      cause: error,
    });
  }
  const raw = members.get(responseNodeName(method)) ?? members.get('error_response');
  if (raw === undefined || !raw.startsWith('{')) {
    throw new AlipayError(`response has no ${responseNodeName(method)} node`, {
      kind: 'transient',
      method,
      traceId,
    });
  }
  const signature = parseJsonString(members.get('sign'));
  if (!signature) throw new AlipayError('response is unsigned', { kind: 'transient', method, traceId });
  const certSn = parseJsonString(members.get('alipay_cert_sn'));
  if (input.alipayCertSn && certSn && certSn !== input.alipayCertSn) {
    throw new AlipayError(
      `response signed by Alipay certificate ${certSn}, configured ${input.alipayCertSn}`,
      {
        kind: 'permanent',
        method,
        traceId,
      },
    );
  }
  if (!verifyRsa2(raw, signature, input.alipayPublicKey)) {
    throw new AlipayError('response signature does not verify', { kind: 'transient', method, traceId });
  }
  const node = JSON.parse(raw) as ResponseNode;
  const code = typeof node.code === 'string' ? node.code : String(node.code ?? '');
  if (code !== '10000') {
    const subCode = typeof node.sub_code === 'string' ? node.sub_code : undefined;
    const subMsg = typeof node.sub_msg === 'string' ? node.sub_msg : undefined;
    const msg = typeof node.msg === 'string' ? node.msg : 'failed';
    throw new AlipayError(`${code} ${msg}${subCode ? ` (${subCode}${subMsg ? `: ${subMsg}` : ''})` : ''}`, {
      kind: classifyFailure(code, subCode),
      method,
      code,
      subCode,
      subMsg,
      traceId,
    });
  }
  return node;
}
