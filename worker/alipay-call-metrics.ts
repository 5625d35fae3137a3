// Alipay calls on the worker's Prometheus endpoint (the SDK runtime's): a histogram of their
// duration by method and result code, so the endpoint that shows activity latency shows why.
import type { MetricMeter } from '@temporalio/common';
import type { AlipayCallRecord } from '../alipay/gateway';

export function alipayCallRecorder(meter: MetricMeter): (call: AlipayCallRecord) => void {
  const seconds = meter.createHistogram(
    'redpacket_alipay_call_seconds',
    'float',
    's',
    'Alipay gateway calls by method, code (10000 = success) and sub_code',
  );
  return (call) =>
    seconds.record(call.seconds, { method: call.method, code: call.code, sub_code: call.subCode });
}
