// The HTTP server's Prometheus metrics on prom-client: one registry per process (both listeners
// share it), Node's default process metrics, and ours. Label values come from fixed sets only
// (route templates, status codes, outcome and refusal names): never an auth_no, a payee or a key.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from a cached answer (a few ms) to a claim waiting on a busy packet (seconds). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'redpacket_http_requests_total',
      help: 'HTTP requests by route and status code',
      labelNames: ['route', 'status'] as const,
      registers,
    }),
    httpRequestSeconds: new Histogram({
      name: 'redpacket_http_request_duration_seconds',
      help: 'HTTP request duration by route, method and status code',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    notifications: new Counter({
      name: 'redpacket_alipay_notifications_total',
      help: 'Alipay notifications by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    notificationSeconds: new Histogram({
      name: 'redpacket_alipay_notification_seconds',
      help: 'Time to verify an Alipay notification and signal its packet, by outcome',
      labelNames: ['outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    claims: new Counter({
      name: 'redpacket_claims_total',
      help: 'Claims by result: accepted, the refusal reason, or unavailable, not_found, error',
      labelNames: ['result'] as const,
      registers,
    }),
    claimSeconds: new Histogram({
      name: 'redpacket_claim_answer_seconds',
      help: 'Time to answer a claim, by result (as redpacket_claims_total)',
      labelNames: ['result'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    packets: new Gauge({
      name: 'redpacket_packets',
      help: 'Running packets by status (visibility counts, refreshed on an interval)',
      labelNames: ['status'] as const,
      registers,
    }),
    packetCountFailures: new Counter({
      name: 'redpacket_packet_count_failures_total',
      help: 'Refreshes of the gauges read from Temporal that failed (they keep their last values)',
      registers,
    }),
    // The latest scheduled reconciliation that finished (read from its Schedule, on the interval).
    reconciliationDifferences: new Gauge({
      name: 'red_packet_reconciliation_differences',
      help: 'Differences found by the latest scheduled daily reconciliation that finished, by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    reconciliationBillMatched: new Gauge({
      name: 'red_packet_reconciliation_bill_matched',
      help: 'Whether that reconciliation matched a bill (1) or not (0)',
      registers,
    }),
    reconciliationPacketsNotChecked: new Gauge({
      name: 'red_packet_reconciliation_packets_not_checked',
      help: 'Packets that reconciliation could not fully check',
      registers,
    }),
    reconciliationCompleted: new Gauge({
      name: 'red_packet_reconciliation_completed_timestamp_seconds',
      help: 'When that reconciliation finished (Unix seconds)',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

export function renderMetrics(metrics: Metrics): Promise<string> {
  return metrics.registry.metrics();
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Seconds since `startNs` (process.hrtime.bigint()). */
export function secondsSince(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}
