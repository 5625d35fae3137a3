// Alipay calls on the worker's Prometheus endpoint (the SDK runtime's): a histogram of their
// duration by method and result code, so the endpoint that shows activity latency shows why.
import type { MetricMeter } from '@temporalio/common';
import type { AlipayCallRecord } from '../alipay/gateway';

export const ALIPAY_CALL_SECONDS = 'redpacket_alipay_call_seconds';
/** Seconds, for the runtime's histogram bucket overrides (its defaults are milliseconds). */
export const ALIPAY_CALL_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function alipayCallRecorder(meter: MetricMeter): (call: AlipayCallRecord) => void {
  const seconds = meter.createHistogram(
    ALIPAY_CALL_SECONDS,
    'float',
    's',
    'Alipay gateway calls by method, code (10000 = success) and sub_code',
  );
  return (call) =>
    seconds.record(call.seconds, { method: call.method, code: call.code, sub_code: call.subCode });
}
