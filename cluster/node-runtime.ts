// The Node.js the cluster's workers and HTTP servers run on: the production image's (Node 24),
// installed into .tools/ by scripts/install-node24.mjs, whatever Node runs this launcher.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../embedded/temporal-binaries';

export function ensureProductionNode(): { path: string; version: string } {
  const installed = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'install-node24.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const binDir = installed.stdout?.trim().split('\n').at(-1);
  if (installed.status !== 0 || !binDir)
    throw new Error('cannot install Node 24 into .tools/ (scripts/install-node24.mjs); see its output above');
  const path = join(binDir, 'node');
  const version = spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return { path, version };
}
