// Tracing on (an in-memory exporter in place of OTLP): one claim is one trace, from the HTTP route
// through the Temporal client's update, the workflow's handler, the disburse activity and the
// Alipay request; the request's log lines carry its trace id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing, type Tracing } from '../../tracing/setup';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';
import { recordHistory } from '../helpers/history';
import { eventually } from '../helpers/lifecycle-env';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let temporal: DevServerHandles;
let env: HttpEnv;
/** The traced packet's out_order_no: in its create request (the memo), never in a span. */
let created = '';

beforeAll(async () => {
  tracing = startTracing('red-packets-test', { exporter })!;
  temporal = await connectToDevServer();
  env = await startHttpEnv(temporal.nativeConnection, { tracing });
});
afterAll(async () => {
  await env?.close();
  await temporal?.close();
  await tracing?.shutdown();
});

const CLAIM_ROUTE = 'POST /red-packets/:authNo/claims';

/** The span's ancestors inside its trace, nearest first. */
function ancestors(span: ReadableSpan, byId: Map<string, ReadableSpan>): string[] {
  const names: string[] = [];
  for (let parent = byId.get(span.parentSpanId ?? ''); parent; parent = byId.get(parent.parentSpanId ?? ''))
    names.push(parent.name);
  return names;
}

describe('traces', () => {
  it('one claim is one trace: route, update, workflow handler, disburse activity, Alipay request, in order', async () => {
    const { authNo, outOrderNo } = await env.openPacket({
      amount: '2.00',
      shares: 2,
      split: 'fixed',
      ttlSeconds: 60,
    });
    created = outOrderNo;
    exporter.reset();
    const claimed = await env.request('POST', `/red-packets/${authNo}/claims`, {
      claimId: 't1',
      payeeUserId: '2088000000000551',
    });
    expect(claimed.status).toBe(200);
    const spans = await eventually(
      async () => exporter.getFinishedSpans(),
      (finished) => finished.some((span) => span.name === 'alipay alipay.fund.coupon.order.disburse'),
      30_000,
    );

    const route = spans.filter((span) => span.name === CLAIM_ROUTE);
    expect(route).toHaveLength(1);
    const traceId = route[0]!.spanContext().traceId;
    const trace = spans.filter((span) => span.spanContext().traceId === traceId);
    const byId = new Map(trace.map((span) => [span.spanContext().spanId, span]));
    const only = (name: string): ReadableSpan => {
      const found = trace.filter((span) => span.name === name);
      expect(
        found.map((span) => span.name),
        name,
      ).toEqual([name]);
      return found[0]!;
    };
    // Each step is a descendant of the one before it, in this trace.
    const alipay = only('alipay alipay.fund.coupon.order.disburse');
    expect(ancestors(alipay, byId)).toEqual(
      expect.arrayContaining([
        'RunActivity:disburseClaim',
        'StartActivity:disburseClaim',
        expect.stringMatching(/^HandleUpdate:claim(Batch)?$/),
        expect.stringMatching(/^StartWorkflowUpdate:claim(Batch)?$/),
        CLAIM_ROUTE,
      ]),
    );
    const chain = ancestors(alipay, byId);
    const at = (pattern: RegExp) => chain.findIndex((name) => pattern.test(name));
    expect(at(/^RunActivity:disburseClaim$/)).toBeLessThan(at(/^StartActivity:disburseClaim$/));
    expect(at(/^StartActivity:disburseClaim$/)).toBeLessThan(at(/^HandleUpdate:/));
    expect(at(/^HandleUpdate:/)).toBeLessThan(at(/^StartWorkflowUpdate:/));
    expect(at(/^StartWorkflowUpdate:/)).toBeLessThan(
      at(new RegExp(`^${CLAIM_ROUTE.replace(/[/:]/g, '\\$&')}$`)),
    );
    expect(chain.at(-1)).toBe(CLAIM_ROUTE);
    expect(route[0]!.attributes['http.response.status_code']).toBe(200);
    // The route's span is the trace's root: the claim began at our door.
    expect(route[0]!.parentSpanId).toBeUndefined();

    // The access line and every other log line of that request carry the trace id.
    const lines = env.logs
      .map((line) => JSON.parse(line) as { traceId?: string; req?: { url?: string }; msg?: string })
      .filter((line) => line.traceId === traceId);
    expect(lines.some((line) => line.msg === 'request completed')).toBe(true);
    await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => (response.json.claims as Array<{ status: string }>)[0]?.status === 'PAID',
    );
    await env.request('POST', `/red-packets/${authNo}/refund`);
    await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => response.json.status === 'COMPLETED',
      30_000,
    );
    // A traced packet's history (its workflow code ran the interceptors) replays in CI.
    await recordHistory(
      'bounded-traced-claim-and-refund',
      temporal.client.workflow.getHandle(`red-packet-${authNo}`),
    );
  });

  it("no span carries the packet's create request (the decoded memo), its search attributes, a payee or a key", async () => {
    const spans = exporter.getFinishedSpans();
    expect(spans.filter((span) => span.name.startsWith('HandleUpdate')).length).toBeGreaterThan(0);
    for (const span of spans) {
      expect(Object.keys(span.attributes), span.name).not.toContain('memo');
      expect(Object.keys(span.attributes), span.name).not.toContain('searchAttributes');
    }
    const text = JSON.stringify(spans.map((span) => ({ name: span.name, attributes: span.attributes })));
    expect(created).not.toBe('');
    expect(text).not.toContain(created);
    expect(text).not.toContain('2088000000000551');
    expect(text).not.toContain(env.token);
  });
});
