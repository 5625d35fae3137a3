// The Temporal server and its SQL tool, and the Temporal UI's server, built from the Go module
// proxy once and kept under .tools/ (git-ignored), with the PostgreSQL schemas from the server's
// module version.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GO_TOOLCHAIN, TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from './versions';

export interface TemporalServerTools {
  server: string;
  sqlTool: string;
  /** `.../schema/postgresql/v12`: `temporal/versioned` and `visibility/versioned` below it. */
  schemaDir: string;
}

const MODULE = 'go.temporal.io/server';

function toolsFor(dir: string): TemporalServerTools {
  return {
    server: join(dir, 'bin', 'temporal-server'),
    sqlTool: join(dir, 'bin', 'temporal-sql-tool'),
    schemaDir: join(dir, 'schema', 'postgresql', 'v12'),
  };
}

function goEnv(binDir: string): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, GOBIN: binDir, GOFLAGS: process.env.GOFLAGS ?? '' };
}

function goInstall(pkg: string, version: string, binDir: string, say: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('go', ['install', `${pkg}@v${version}`], {
      env: goEnv(binDir),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
    const progress = setInterval(
      () => say(`  still building ${pkg} ... ${Math.round((Date.now() - started) / 1000)} s`),
      30_000,
    );
    child.once('error', (error) => {
      clearInterval(progress);
      reject(new Error(`cannot run go (is Go installed and on PATH?): ${error.message}`));
    });
    child.once('exit', (code) => {
      clearInterval(progress);
      if (code === 0) resolve();
      else reject(new Error(`go install ${pkg} failed (exit ${code}):\n${errors}`));
    });
  });
}

/** The module cache's files are read-only; the copies must be removable by a later rebuild. */
function makeWritable(path: string): void {
  const stat = statSync(path);
  chmodSync(path, stat.mode | 0o200);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) makeWritable(join(path, entry));
}

function moduleDir(): string {
  const modCache = spawnSync('go', ['env', 'GOMODCACHE'], {
    env: { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN },
    encoding: 'utf8',
  }).stdout.trim();
  return join(modCache, `${MODULE}@v${TEMPORAL_SERVER_VERSION}`);
}

/** The built tools, building them first when this version is not under `toolsRoot` yet. */
export async function ensureTemporalServer(
  toolsRoot: string,
  say: (line: string) => void,
): Promise<TemporalServerTools> {
  const dir = join(toolsRoot, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const tools = toolsFor(dir);
  if ([tools.server, tools.sqlTool, tools.schemaDir].every((path) => existsSync(path))) {
    say(`Temporal server ${TEMPORAL_SERVER_VERSION}: reusing ${dir}`);
    return tools;
  }
  say(
    `Building the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool from the Go module proxy ` +
      `(${GO_TOOLCHAIN}; first run only: about 1.7 GB of modules and several minutes on 2 cores) ...`,
  );
  const building = `${dir}.building`;
  rmSync(building, { recursive: true, force: true });
  const binDir = join(building, 'bin');
  mkdirSync(binDir, { recursive: true });
  await goInstall(`${MODULE}/cmd/server`, TEMPORAL_SERVER_VERSION, binDir, say);
  await goInstall(`${MODULE}/cmd/tools/sql`, TEMPORAL_SERVER_VERSION, binDir, say);
  renameSync(join(binDir, 'server'), join(binDir, 'temporal-server'));
  renameSync(join(binDir, 'sql'), join(binDir, 'temporal-sql-tool'));
  cpSync(join(moduleDir(), 'schema', 'postgresql'), join(building, 'schema', 'postgresql'), {
    recursive: true,
  });
  makeWritable(join(building, 'schema'));
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  say(`Temporal server ${TEMPORAL_SERVER_VERSION} built into ${dir}`);
  return tools;
}

/**
 * The Temporal UI's server (the same release as docker-compose.yml's `temporalio/ui` image), its
 * web assets embedded in the module; built when this version is not under `toolsRoot` yet.
 */
export async function ensureTemporalUi(toolsRoot: string, say: (line: string) => void): Promise<string> {
  const dir = join(toolsRoot, `temporal-ui-${TEMPORAL_UI_VERSION}`);
  const binary = join(dir, 'bin', 'temporal-ui-server');
  if (existsSync(binary)) return binary;
  say(`Building the Temporal UI server ${TEMPORAL_UI_VERSION} from the Go module proxy (first run only) ...`);
  const building = `${dir}.building`;
  rmSync(building, { recursive: true, force: true });
  const binDir = join(building, 'bin');
  mkdirSync(binDir, { recursive: true });
  await goInstall('github.com/temporalio/ui-server/v2/cmd/server', TEMPORAL_UI_VERSION, binDir, say);
  renameSync(join(binDir, 'server'), join(binDir, 'temporal-ui-server'));
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  say(`Temporal UI server ${TEMPORAL_UI_VERSION} built into ${dir}`);
  return binary;
}
