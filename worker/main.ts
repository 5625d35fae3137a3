// The production worker: `npm run worker`. Config from the environment (DESIGN.md section 5),
// Prometheus metrics from the SDK runtime, graceful shutdown on SIGTERM/SIGINT.
import { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { AlipayGateway } from '../alipay/gateway';
import { payloadCodecFromEnv } from '../codec/key-files';
import { readAlipayConfig } from '../config/alipay';
import { readTemporalConfig } from '../config/env';
import { ConfigError } from '../config/errors';
import { keepReconciliationSchedule, readReconcileCron } from '../client/reconciliation-schedule';
import { ALIPAY_CALL_BUCKETS, ALIPAY_CALL_SECONDS, alipayCallRecorder } from './alipay-call-metrics';
import { startTracing } from '../tracing/setup';
import { createWorkers } from './create-worker';
import { connectTemporal } from '../config/temporal-connection';

async function main(): Promise<void> {
  const temporal = readTemporalConfig();
  if (!temporal.address)
    throw new ConfigError('TEMPORAL_ADDRESS', 'required for a standalone worker (host:port)');
  const alipay = readAlipayConfig();
  if (!alipay) throw new ConfigError('ALIPAY_GATEWAY', 'required for a standalone worker');
  const metricsAddress = process.env.WORKER_METRICS_ADDRESS?.trim() || '0.0.0.0:9464';
  const reconcileCron = readReconcileCron(process.env);

  Runtime.install({
    logger: new DefaultLogger('INFO'),
    telemetryOptions: {
      metrics: {
        prometheus: {
          bindAddress: metricsAddress,
          // The SDK's default buckets are milliseconds; Alipay's call time is recorded in seconds.
          histogramBucketOverrides: { [ALIPAY_CALL_SECONDS]: ALIPAY_CALL_BUCKETS },
        },
      },
    },
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });
  const tracing = startTracing('red-packets-worker');
  const connection = await connectTemporal(temporal.address);
  const gateway = new AlipayGateway({
    ...alipay,
    onCall: alipayCallRecorder(Runtime.instance().metricMeter),
    traced: tracing !== undefined,
  });
  const payloadCodec = payloadCodecFromEnv();
  const workers = await createWorkers({
    connection,
    ...temporal,
    gateway,
    notifyUrl: alipay.notifyUrl,
    payloadCodec,
    tracing,
  });
  const client = new Client({
    connection,
    namespace: temporal.namespace,
    dataConverter: payloadCodec ? { payloadCodecs: [payloadCodec] } : undefined,
  });
  await keepReconciliationSchedule(client, { taskQueue: temporal.taskQueue, cron: reconcileCron }, (line) =>
    console.log(`worker: reconciliation ${line}`),
  );
  console.log(
    `worker: task queue ${temporal.taskQueue} on ${temporal.address}/${temporal.namespace}, ` +
      `Alipay ${alipay.gateway}${alipay.certificates ? ' (certificate mode)' : ''}, metrics http://${metricsAddress}/metrics` +
      (payloadCodec ? ', payloads encrypted' : '') +
      (tracing ? `, traces to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}` : ''),
  );
  await workers.run(); // returns after SIGTERM/SIGINT once running activities have finished
  await gateway.close();
  await connection.close();
  await tracing?.shutdown();
}

main().catch((error: unknown) => {
  console.error(`worker: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  process.exit(1);
});
