// The only I/O of alipay/: sends a signed request over a keep-alive undici pool and returns the
// verified response node.
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Pool } from 'undici';
import { AlipayError } from './errors';
import {
  signedRequestParams,
  splitForTransport,
  type AlipayCredentials,
  type RequestExtras,
} from './request';
import { verifiedResponse, type ResponseNode } from './response';

export interface GatewayOptions extends AlipayCredentials {
  /** Full gateway URL: production, Alipay's sandbox, or our own sandbox. */
  gateway: string;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  connections?: number;
  now?: () => Date;
  /** Told of every call once it is answered or has failed (metrics); must not throw. */
  onCall?: (call: AlipayCallRecord) => void;
  /** Each call a client span (tracing on): the last span of a claim's trace. */
  traced?: boolean;
}

/** One call as metrics see it: labels from fixed sets only (no amount, id or payee). */
export interface AlipayCallRecord {
  method: string;
  /** Alipay's `code` (10000 for success), or how the call failed before Alipay answered. */
  code: string;
  /** Alipay's `sub_code`, or '' (refused when it is not a plain code, so nobody can invent labels). */
  subCode: string;
  seconds: number;
}

const PLAIN_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/** The labels of a failed call. */
function failureLabels(error: unknown): Pick<AlipayCallRecord, 'code' | 'subCode'> {
  if (!(error instanceof AlipayError)) return { code: 'client_error', subCode: '' };
  if (error.code && PLAIN_CODE.test(error.code))
    return {
      code: error.code,
      subCode: error.subCode && PLAIN_CODE.test(error.subCode) ? error.subCode : '',
    };
  if (error.httpStatus !== undefined) return { code: 'http_error', subCode: '' };
  return { code: error.kind === 'ambiguous' ? 'no_answer' : 'unreachable_or_invalid', subCode: '' };
}

/** What typed methods need from a gateway; AlipayGateway is the implementation. */
export interface AlipayTransport {
  readonly credentials: AlipayCredentials;
  readonly gatewayUrl: string;
  execute(
    method: string,
    bizContent: Readonly<Record<string, unknown>>,
    extras?: RequestExtras,
  ): Promise<ResponseNode>;
  sign(
    method: string,
    bizContent: Readonly<Record<string, unknown>>,
    extras?: RequestExtras,
  ): Record<string, string>;
}

const SENT_BUT_UNANSWERED = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export class AlipayGateway implements AlipayTransport {
  readonly credentials: AlipayCredentials;
  readonly gatewayUrl: string;
  private readonly url: URL;
  private readonly pool: Pool;
  private readonly now: () => Date;
  private readonly onCall: GatewayOptions['onCall'];
  private readonly traced: boolean;

  constructor(options: GatewayOptions) {
    this.credentials = {
      appId: options.appId,
      privateKey: options.privateKey,
      alipayPublicKey: options.alipayPublicKey,
      certificates: options.certificates,
      appAuthToken: options.appAuthToken,
    };
    this.gatewayUrl = options.gateway;
    this.url = new URL(options.gateway);
    this.now = options.now ?? (() => new Date());
    this.onCall = options.onCall;
    this.traced = options.traced ?? false;
    this.pool = new Pool(this.url.origin, {
      connections: options.connections ?? 32,
      connect: { timeout: options.connectTimeoutMs ?? 5_000 },
      headersTimeout: options.headersTimeoutMs ?? 15_000,
      bodyTimeout: options.bodyTimeoutMs ?? 15_000,
      keepAliveTimeout: 30_000,
    });
  }

  sign(
    method: string,
    bizContent: Readonly<Record<string, unknown>>,
    extras: RequestExtras = {},
  ): Record<string, string> {
    return signedRequestParams(method, bizContent, this.credentials, extras, this.now());
  }

  async execute(
    method: string,
    bizContent: Readonly<Record<string, unknown>>,
    extras: RequestExtras = {},
  ): Promise<ResponseNode> {
    if (this.traced)
      return trace
        .getTracer('alipay')
        .startActiveSpan(
          `alipay ${method}`,
          { kind: SpanKind.CLIENT, attributes: { 'alipay.method': method } },
          (span) =>
            this.observed(method, bizContent, extras).then(
              (node) => {
                span.end();
                return node;
              },
              (error: unknown) => {
                span.setAttribute('alipay.code', failureLabels(error).code);
                span.setStatus({ code: SpanStatusCode.ERROR });
                span.end();
                throw error;
              },
            ),
        );
    return this.observed(method, bizContent, extras);
  }

  private async observed(
    method: string,
    bizContent: Readonly<Record<string, unknown>>,
    extras: RequestExtras,
  ): Promise<ResponseNode> {
    if (!this.onCall) return this.send(method, bizContent, extras);
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    let node: ResponseNode;
    try {
      node = await this.send(method, bizContent, extras);
    } catch (error) {
      this.onCall({ method, ...failureLabels(error), seconds: seconds() });
      throw error;
    }
    // Outside the try: a recorder that threw must not turn a call Alipay applied into a failure.
    this.onCall({ method, code: '10000', subCode: '', seconds: seconds() });
    return node;
  }

  private async send(
    method: string,
    bizContent: Readonly<Record<string, unknown>>,
    extras: RequestExtras,
  ): Promise<ResponseNode> {
    const { query, body } = splitForTransport(this.sign(method, bizContent, extras));
    let status: number;
    let text: string;
    let traceId: string | undefined;
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: `${this.url.pathname}?${query.toString()}`,
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=utf-8',
          accept: 'application/json',
        },
        body: body.toString(),
      });
      status = response.statusCode;
      const header = response.headers['trace_id'];
      traceId = typeof header === 'string' ? header : undefined;
      text = await response.body.text();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const kind = typeof code === 'string' && SENT_BUT_UNANSWERED.has(code) ? 'ambiguous' : 'transient';
      const reason = error instanceof Error ? error.message : String(error);
      throw new AlipayError(`gateway unreachable or silent (${reason})`, { kind, method, cause: error });
    }
    if (status !== 200) {
      throw new AlipayError(`gateway answered HTTP ${status}`, {
        kind: 'transient',
        method,
        httpStatus: status,
        traceId,
      });
    }
    return verifiedResponse({
      method,
      body: text,
      alipayPublicKey: this.credentials.alipayPublicKey,
      alipayCertSn: this.credentials.certificates?.alipayCertSn,
      traceId,
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
