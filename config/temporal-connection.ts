// One way to reach Temporal for the worker and the HTTP server alike: the SDK's native (Rust)
// connection, which costs the HTTP server far less CPU per call than the pure-JS gRPC client.
import { NativeConnection } from '@temporalio/worker';
import { readTemporalSecurity, type TemporalSecurity } from './temporal-security';
import { TemporalUnreachableError } from './temporal-unreachable';

const CONNECT_TIMEOUT_MS = 10_000;

/** A connection that has proven it can talk to the cluster, or a one-line TemporalUnreachableError. */
export async function connectTemporal(
  address: string,
  security: TemporalSecurity = readTemporalSecurity(),
): Promise<NativeConnection> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer in ${CONNECT_TIMEOUT_MS / 1000} s`)),
      CONNECT_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([NativeConnection.connect({ address, ...security }), timeout]);
  } catch (error) {
    throw new TemporalUnreachableError(address, error);
  } finally {
    clearTimeout(timer);
  }
}
