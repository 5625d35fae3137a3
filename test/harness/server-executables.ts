import type { EphemeralServerExecutable } from '@temporalio/testing';
import { resolveTemporalCli, resolveTestServer, type ResolvedBinary } from '../../embedded/temporal-binaries';

// The SDK's own download is the last resort, after TEMPORAL_*_PATH, .tools/ and PATH.
function executable(binary: ResolvedBinary | undefined): EphemeralServerExecutable {
  return binary ? { type: 'existing-path', path: binary.path } : { type: 'cached-download' };
}

export const devServerExecutable = (): EphemeralServerExecutable => executable(resolveTemporalCli());
export const testServerExecutable = (): EphemeralServerExecutable => executable(resolveTestServer());
