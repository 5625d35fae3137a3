import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { readTemporalSecurity, type TemporalSecurity } from '../config/temporal-security';
import { TemporalUnreachableError } from '../config/temporal-unreachable';

const CONNECT_TIMEOUT_MS = 5000;

/** A client whose connection has proven it can talk to the cluster. */
export async function connectClient(
  address: string,
  namespace: string,
  codec?: PayloadCodec,
  security: TemporalSecurity = readTemporalSecurity(),
): Promise<Client> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: CONNECT_TIMEOUT_MS, ...security });
    await connection.workflowService.getSystemInfo({});
    return new Client({
      connection,
      namespace,
      dataConverter: codec ? { payloadCodecs: [codec] } : undefined,
    });
  } catch (error) {
    throw new TemporalUnreachableError(address, error);
  }
}
