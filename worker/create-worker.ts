import type { PayloadCodec } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createReconciliationActivities } from '../activities/reconciliation';
import type { AlipayTransport } from '../alipay/gateway';
import { reconciliationTaskQueue } from '../workflows/reconciliation-messages';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { InjectedSink } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { Tracing } from '../tracing/setup';
import { WORKFLOW_INTERCEPTORS, workflowSource } from './workflow-source';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  gateway: AlipayTransport;
  /** Where Alipay sends refund notifications (our webhook). */
  notifyUrl?: string;
  /** Payload encryption; must match the clients'. */
  payloadCodec?: PayloadCodec;
  /** Traces of workflows and activities (tracing/setup.ts); none when tracing is off. */
  tracing?: Tracing;
}

/**
 * The workflows' spans, with only these of their WorkflowInfo: the SDK's exporter copies all of it
 * into every span, the decoded memo (a packet's create request) and search attributes included,
 * which would carry what payload encryption hides out to the collector.
 */
function workflowSpanSink(tracing: Tracing): InjectedSink<OpenTelemetryWorkflowExporter> {
  const sink = makeWorkflowExporter(tracing.workflowSpans, tracing.resource);
  return {
    export: {
      fn: (info, spans) =>
        sink.export.fn(
          {
            workflowId: info.workflowId,
            runId: info.runId,
            workflowType: info.workflowType,
            taskQueue: info.taskQueue,
            namespace: info.namespace,
            attempt: info.attempt,
          } as WorkflowInfo,
          spans,
        ),
    },
  };
}

/**
 * Tracing: workflows started traced (workflows/tracing-interceptors.ts) send their spans through
 * a sink, exported when this worker traces and dropped when it does not; activities are traced
 * when this worker traces.
 */
function tracedOptions(tracing: Tracing | undefined): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      workflowModules: [WORKFLOW_INTERCEPTORS],
      activity: tracing
        ? [(context) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(context) })]
        : [],
    },
    sinks: { exporter: tracing ? workflowSpanSink(tracing) : { export: { fn: () => undefined } } },
  };
}

export function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create(workerOptions(deps));
}

/** The production worker's options, for createWorker and for workers that add to them (bench/). */
export function workerOptions(deps: WorkerDeps): WorkerOptions {
  return {
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    ...workflowSource(),
    ...tracedOptions(deps.tracing),
    activities: createActivities(deps.gateway, { notifyUrl: deps.notifyUrl }),
    dataConverter: deps.payloadCodec ? { payloadCodecs: [deps.payloadCodec] } : undefined,
    // Keep Alipay calls under its 100 per second per merchant, across every worker of the queue.
    maxTaskQueueActivitiesPerSecond: 80,
    // Activities heartbeat every 2 s (activities/heartbeat.ts); send them on at that pace rather
    // than at 80% of the 10 s heartbeat timeout, so a late heartbeat has 8 s of margin, not 2.
    maxHeartbeatThrottleInterval: '2 seconds',
    // On SIGTERM, running activities get this long to finish before they are cancelled.
    shutdownGraceTime: '30s',
  };
}

/**
 * The reconciliation's activities, on their own queue: a few at a time, each pacing its Alipay
 * queries, so that a large day stays well under the merchant's limits beside the lifecycles.
 */
export function createReconciliationWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: reconciliationTaskQueue(deps.taskQueue),
    activities: createReconciliationActivities(deps.gateway),
    interceptors: { activity: tracedOptions(deps.tracing).interceptors?.activity ?? [] },
    dataConverter: deps.payloadCodec ? { payloadCodecs: [deps.payloadCodec] } : undefined,
    maxConcurrentActivityTaskExecutions: 4,
    // Packets checked a second across every worker: with each activity pacing its own queries,
    // the reconciliation stays a small share of the merchant's Alipay limits beside the payouts.
    maxTaskQueueActivitiesPerSecond: 10,
    maxHeartbeatThrottleInterval: '2 seconds',
    shutdownGraceTime: '30s',
  });
}

/** Both workers of a worker process, run and shut down together. */
export async function createWorkers(deps: WorkerDeps): Promise<{ run(): Promise<void>; shutdown(): void }> {
  const workers = [await createWorker(deps), await createReconciliationWorker(deps)];
  return {
    async run() {
      await Promise.all(workers.map((worker) => worker.run()));
    },
    shutdown() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    },
  };
}
