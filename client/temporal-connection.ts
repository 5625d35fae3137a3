import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { PayloadCodec } from '@temporalio/common';
import { connectTemporal } from '../config/temporal-connection';
import type { TemporalSecurity } from '../config/temporal-security';

/** The HTTP server's client: over a native connection, with payload encryption when it is on. */
export async function connectClient(
  address: string,
  namespace: string,
  codec?: PayloadCodec,
  security?: TemporalSecurity,
  traced = false,
): Promise<Client> {
  return new Client({
    connection: await connectTemporal(address, security),
    namespace,
    dataConverter: codec ? { payloadCodecs: [codec] } : undefined,
    // Starts, signals and updates carry the caller's trace into the workflow (tracing on).
    interceptors: traced ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined,
  });
}
