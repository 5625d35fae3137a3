// OpenTelemetry traces: on when OTEL_EXPORTER_OTLP_ENDPOINT is set (exported over OTLP/HTTP, the
// standard OTEL_* variables apply), or when a test hands in its own exporter; off otherwise, and
// then nothing is registered: no interceptor, no route wrapper, the API's tracers are no-ops.
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Env } from '../config/env';

export interface Tracing {
  /** Where the spans go; the worker hands it to the workflows' span sink too. */
  exporter: SpanExporter;
  /** The workflows' spans (sent out of the workflow sandbox through a sink) go through this. */
  workflowSpans: SpanProcessor;
  resource: Resource;
  /** Flushes what is buffered and stops. */
  shutdown(): Promise<void>;
}

export function tracingEnabled(env: Env = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/** Registers the process's tracer provider, or answers undefined when tracing is off. */
export function startTracing(
  serviceName: string,
  options: { env?: Env; exporter?: SpanExporter } = {},
): Tracing | undefined {
  const exporter =
    options.exporter ?? (tracingEnabled(options.env ?? process.env) ? new OTLPTraceExporter() : undefined);
  if (!exporter) return undefined;
  const resource = new Resource({ 'service.name': serviceName });
  // A test's exporter sees each span as it ends; production batches them off the hot path.
  const processor = () =>
    options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const workflowSpans = processor();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor()] });
  provider.register({
    contextManager: new AsyncLocalStorageContextManager(),
    propagator: new W3CTraceContextPropagator(),
  });
  return {
    exporter,
    workflowSpans,
    resource,
    shutdown: async () => {
      await workflowSpans.shutdown();
      await provider.shutdown();
    },
  };
}
