import { NativeConnection } from '@temporalio/worker';
import { TemporalUnreachableError } from '../config/temporal-unreachable';

export async function connectWorker(address: string): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address });
  } catch (error) {
    throw new TemporalUnreachableError(address, error);
  }
}
