import { join } from 'node:path';
import type { DevServerOptions } from '../../embedded/dev-server';
import { resolveTemporalCli } from '../../embedded/temporal-binaries';
import { freePort } from './ports';

/** Options for a dev server of a test's own, on a SQLite file in `dir`, so it can be stopped and restarted. */
export async function restartableDevServerOptions(dir: string): Promise<DevServerOptions> {
  const cli = resolveTemporalCli();
  if (!cli) throw new Error('no Temporal CLI: run npm ci');
  return {
    cliPath: cli.path,
    ip: '127.0.0.1',
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    dbFile: join(dir, 'temporal.sqlite'),
    logFile: join(dir, 'temporal.log'),
  };
}
