// Where the Temporal CLI (dev server + UI) and the time-skipping test server live.
// Order: the env variable, the project-local install (scripts/install-temporal-binaries.mjs),
// then PATH. `undefined` means "none here": callers may let the SDK download one.
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { ConfigError } from '../config/errors';
import type { Env } from '../config/env';

export const PROJECT_ROOT = resolve(__dirname, '..');
const PROJECT_BIN = join(PROJECT_ROOT, '.tools', 'venv', 'bin');

export interface ResolvedBinary {
  path: string;
  source: 'env' | 'project' | 'path';
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function resolveBinary(env: Env, variable: string, name: string): ResolvedBinary | undefined {
  const fromEnv = env[variable]?.trim();
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new ConfigError(variable, `${fromEnv} is not an executable file`);
    return { path: fromEnv, source: 'env' };
  }
  const projectLocal = join(PROJECT_BIN, name);
  if (isExecutable(projectLocal)) return { path: projectLocal, source: 'project' };
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return { path: join(dir, name), source: 'path' };
  }
  return undefined;
}

export function resolveTemporalCli(env: Env = process.env): ResolvedBinary | undefined {
  return resolveBinary(env, 'TEMPORAL_CLI_PATH', 'temporal');
}

export function resolveTestServer(env: Env = process.env): ResolvedBinary | undefined {
  return resolveBinary(env, 'TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server');
}
