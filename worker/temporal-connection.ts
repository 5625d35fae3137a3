import { NativeConnection } from '@temporalio/worker';
import { readTemporalSecurity, type TemporalSecurity } from '../config/temporal-security';
import { TemporalUnreachableError } from '../config/temporal-unreachable';

export async function connectWorker(
  address: string,
  security: TemporalSecurity = readTemporalSecurity(),
): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address, ...security });
  } catch (error) {
    throw new TemporalUnreachableError(address, error);
  }
}
