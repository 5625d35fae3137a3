// /metrics as a Prometheus server reads it, after a lifecycle through the API: the histograms
// counted where they should be, Node's process metrics, the packets-by-status gauge, and no
// label carrying an id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { connectToDevServer, type DevServerHandles } from '../harness/temporal';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';
import { eventually } from '../helpers/lifecycle-env';

let temporal: DevServerHandles;
let env: HttpEnv;

beforeAll(async () => {
  temporal = await connectToDevServer();
  env = await startHttpEnv(temporal.nativeConnection);
});
afterAll(async () => {
  await env?.close();
  await temporal?.close();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * The scrape, checked by a Prometheus text parser (it throws on a malformed line; every family
 * must have a type), and its samples (that parser drops the labels of histograms).
 */
async function scrape(): Promise<{ text: string; families: Map<string, ParsedFamily>; samples: Sample[] }> {
  const response = await fetch(`${env.url}/metrics`, { headers: { authorization: `Bearer ${env.token}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  const text = await response.text();
  const families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
  for (const family of families.values()) expect(family.type, family.name).not.toBe('UNTYPED');
  const samples = text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      expect(match, line).not.toBeNull();
      const labels = Object.fromEntries(
        [...(match![2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((label) => [
          label[1]!,
          label[2]!,
        ]),
      );
      return { name: match![1]!, labels, value: Number(match![3]) };
    });
  return { text, families, samples };
}

/** The value of the sample named `name` whose labels include `labels`; undefined when none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  )?.value;
}

/** A histogram's observation count for the series with these labels (0 when it has none). */
function histogramCount(
  scraped: { families: Map<string, ParsedFamily>; samples: Sample[] },
  name: string,
  labels: Record<string, string>,
): number {
  expect(scraped.families.get(name)?.type, name).toBe('HISTOGRAM');
  return valueOf(scraped.samples, `${name}_count`, labels) ?? 0;
}

describe('/metrics', () => {
  it('after a lifecycle through the API: latency histograms by route, claim result and notification outcome; process metrics; no id in any label', async () => {
    const payees = ['2088000000000771', '2088000000000772'];
    const { authNo } = await env.openPacket({ amount: '2.00', shares: 1, split: 'fixed', ttlSeconds: 6 });
    await env.packetCounts.refreshed();
    await env.packetCounts.refreshed();
    expect(valueOf((await scrape()).samples, 'redpacket_packets', { status: 'OPEN' })).toBe(1);

    expect(
      (await env.request('POST', `/red-packets/${authNo}/claims`, { claimId: 'm1', payeeUserId: payees[0] }))
        .status,
    ).toBe(200);
    expect(
      (await env.request('POST', `/red-packets/${authNo}/claims`, { claimId: 'm2', payeeUserId: payees[1] }))
        .status,
    ).toBe(409);
    await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => response.json.status === 'COMPLETED',
      30_000,
    );
    // A packet left to expire: its refund notification comes through the webhook.
    const { authNo: refunded } = await env.openPacket({
      amount: '1.00',
      shares: 2,
      split: 'fixed',
      ttlSeconds: 3,
    });
    await eventually(
      () => env.request('GET', `/red-packets/${refunded}`),
      (response) => response.json.status === 'COMPLETED',
      30_000,
    );
    await env.packetCounts.refreshed();
    await env.packetCounts.refreshed();

    const scraped = await scrape();
    const { text, families } = scraped;
    const claimsRoute = { route: '/red-packets/:authNo/claims', method: 'POST' };
    expect(
      histogramCount(scraped, 'redpacket_http_request_duration_seconds', { ...claimsRoute, status: '200' }),
    ).toBe(1);
    expect(
      histogramCount(scraped, 'redpacket_http_request_duration_seconds', { ...claimsRoute, status: '409' }),
    ).toBe(1);
    expect(
      histogramCount(scraped, 'redpacket_http_request_duration_seconds', {
        route: '/red-packets',
        method: 'POST',
        status: '201',
      }),
    ).toBe(2);
    expect(histogramCount(scraped, 'redpacket_claim_answer_seconds', { result: 'accepted' })).toBe(1);
    expect(histogramCount(scraped, 'redpacket_claim_answer_seconds', { result: 'SHARES_EXHAUSTED' })).toBe(1);
    // The refund notification of the second packet came through the webhook and reached it.
    expect(
      histogramCount(scraped, 'redpacket_alipay_notification_seconds', { outcome: 'delivered' }),
    ).toBeGreaterThanOrEqual(1);
    expect(valueOf(scraped.samples, 'redpacket_packets', { status: 'OPEN' })).toBe(0);
    for (const status of ['VERIFYING_FUNDING', 'CLOSING', 'AWAITING_REFUND_NOTIFY', 'REFUND_BLOCKED'])
      expect(valueOf(scraped.samples, 'redpacket_packets', { status })).toBe(0);

    // Node's default process metrics.
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds',
    ])
      expect(families.has(name), name).toBe(true);

    // Label values from fixed sets: no auth_no, payee, claim id or key anywhere in a label.
    const labelValues = scraped.samples.flatMap((sample) => Object.values(sample.labels));
    expect(labelValues.length).toBeGreaterThan(10);
    for (const secret of [authNo, refunded, ...payees, 'm1', 'm2', env.token])
      expect(labelValues.filter((value) => value.includes(secret))).toEqual([]);
    expect(text).not.toContain(authNo);
  });

  it('times a claim that got no answer too: a packet that does not exist is not_found', async () => {
    const missing = `NOPACKET${Date.now()}`;
    const answered = await env.request('POST', `/red-packets/${missing}/claims`, {
      claimId: 'n1',
      payeeUserId: '2088000000000772',
    });
    expect(answered.status).toBe(404);
    const scraped = await scrape();
    expect(histogramCount(scraped, 'redpacket_claim_answer_seconds', { result: 'not_found' })).toBe(1);
    expect(scraped.text).not.toContain(missing);
  });

  it('counts a route nobody registered under one label, whatever the path asked', async () => {
    const path = `/no-such-route-${Date.now()}`;
    expect((await env.request('GET', path)).status).toBe(404);
    const scraped = await scrape();
    expect(scraped.text).not.toContain(path);
    expect(
      histogramCount(scraped, 'redpacket_http_request_duration_seconds', {
        route: 'unmatched',
        status: '404',
      }),
    ).toBeGreaterThanOrEqual(1);
  });
});
