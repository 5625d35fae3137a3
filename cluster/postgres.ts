// PostgreSQL for the cluster, from this machine's installation (initdb, pg_ctl of the major
// version the cluster runs): its own data directory and port, password authentication on the
// loopback only. PostgreSQL refuses to run as root, so under root it runs as the `postgres`
// system user.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { POSTGRES_MAJOR } from './versions';

export interface PostgresOptions {
  dataDir: string;
  port: number;
  user: string;
  logFile: string;
}

export interface Postgres {
  password: string;
  start(): void;
  stop(): void;
  isRunning(): boolean;
}

const SYSTEM_USER = 'postgres';

function asRoot(): boolean {
  return userInfo().uid === 0;
}

/** Debian keeps each major version's programs in its own directory; PATH is the fallback. */
function program(name: string): string {
  const debian = `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin/${name}`;
  try {
    accessSync(debian, constants.X_OK);
    return debian;
  } catch {
    return name;
  }
}

/** Runs a PostgreSQL program, as the `postgres` user when we are root. */
function run(name: string, args: string[], what: string): { status: number | null; output: string } {
  const path = program(name);
  const [command, fullArgs] = asRoot() ? ['runuser', ['-u', SYSTEM_USER, '--', path, ...args]] : [path, args];
  const result = spawnSync(command, fullArgs, { encoding: 'utf8' });
  if (result.error) throw new Error(`${what}: cannot run ${path}: ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

function mustRun(name: string, args: string[], what: string): string {
  const result = run(name, args, what);
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}): ${result.output}`);
  return result.output;
}

function systemUserId(flag: '-u' | '-g'): number {
  const text = spawnSync('id', [flag, SYSTEM_USER], { encoding: 'utf8' }).stdout.trim();
  if (!/^\d+$/.test(text)) {
    throw new Error(
      `running as root needs the "${SYSTEM_USER}" system user (Debian's postgresql package makes it)`,
    );
  }
  return Number(text);
}

function handTo(path: string): void {
  if (asRoot()) chownSync(path, systemUserId('-u'), systemUserId('-g'));
}

function checkVersion(): void {
  const version = mustRun('pg_ctl', ['--version'], 'pg_ctl --version');
  const major = /(\d+)(?:\.\d+)?/.exec(version)?.[1];
  if (major !== String(POSTGRES_MAJOR)) {
    throw new Error(`the cluster runs PostgreSQL ${POSTGRES_MAJOR}; ${program('pg_ctl')} is "${version}"`);
  }
}

export function clusterPostgres(options: PostgresOptions): Postgres {
  const { dataDir, port, user, logFile } = options;
  checkVersion();
  const passwordFile = `${dataDir}.password`;
  if (!existsSync(join(dataDir, 'PG_VERSION')) || !existsSync(passwordFile)) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    handTo(dataDir);
    // The password is kept before initdb uses it: an interrupted set-up starts over cleanly.
    const password = randomBytes(18).toString('base64url');
    writeFileSync(`${passwordFile}.new`, `${password}\n`, { mode: 0o600 });
    renameSync(`${passwordFile}.new`, passwordFile);
    const pwfile = join(dataDir, '..', '.initdb-password');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    handTo(pwfile);
    try {
      const args = ['-D', dataDir, '-U', user, `--pwfile=${pwfile}`, '--auth=scram-sha-256'];
      mustRun('initdb', [...args, '-E', 'UTF8', '--no-instructions'], 'initdb');
    } catch (error) {
      if (/Permission denied/i.test(String(error)) && asRoot()) {
        throw new Error(
          `${String(error)}\n(the "${SYSTEM_USER}" user must be able to reach ${dataDir}: every directory above it needs o+x)`,
        );
      }
      throw error;
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  if (!existsSync(logFile)) writeFileSync(logFile, '');
  handTo(logFile);
  return {
    password,
    start() {
      // pg_ctl hands -o to a shell: the socket directory is quoted.
      const settings = `-p ${port} -c listen_addresses=127.0.0.1 -k '${dataDir.replaceAll("'", "'\\''")}'`;
      mustRun(
        'pg_ctl',
        ['-D', dataDir, '-l', logFile, '-o', settings, '-w', '-t', '60', 'start'],
        `PostgreSQL start (log: ${logFile})`,
      );
    },
    stop() {
      mustRun('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop'], 'PostgreSQL stop');
    },
    isRunning() {
      return run('pg_ctl', ['-D', dataDir, 'status'], 'pg_ctl status').status === 0;
    },
  };
}
