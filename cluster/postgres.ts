// PostgreSQL for the cluster, from this machine's installation (initdb, pg_ctl): its own data
// directory and port, password authentication on the loopback only. PostgreSQL refuses to run
// as root, so under root it runs as the `postgres` system user.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

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

/** Runs a PostgreSQL program, as the `postgres` user when we are root. */
function run(program: string, args: string[], what: string): string {
  const [command, fullArgs] = asRoot()
    ? ['runuser', ['-u', SYSTEM_USER, '--', program, ...args]]
    : [program, args];
  const result = spawnSync(command, fullArgs, { encoding: 'utf8' });
  if (result.error) throw new Error(`${what}: cannot run ${program}: ${result.error.message}`);
  if (result.status !== 0)
    throw new Error(`${what} failed (exit ${result.status}): ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

function handTo(path: string): void {
  if (!asRoot()) return;
  const uid = Number(spawnSync('id', ['-u', SYSTEM_USER], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', SYSTEM_USER], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(
      `running as root needs the "${SYSTEM_USER}" system user (Debian's postgresql package makes it)`,
    );
  }
  chownSync(path, uid, gid);
}

export function clusterPostgres(options: PostgresOptions): Postgres {
  const { dataDir, port, user, logFile } = options;
  const passwordFile = `${dataDir}.password`;
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    handTo(dataDir);
    const password = randomBytes(18).toString('base64url');
    const pwfile = join(dataDir, '..', '.initdb-password');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    handTo(pwfile);
    try {
      run(
        'initdb',
        [
          '-D',
          dataDir,
          '-U',
          user,
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '-E',
          'UTF8',
          '--no-instructions',
        ],
        'initdb',
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  if (!existsSync(logFile)) writeFileSync(logFile, '');
  handTo(logFile);
  const ctl = (args: string[], what: string): string => run('pg_ctl', ['-D', dataDir, ...args], what);
  return {
    password,
    start() {
      const settings = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dataDir}`;
      ctl(['-l', logFile, '-o', settings, '-w', '-t', '60', 'start'], `PostgreSQL start (log: ${logFile})`);
    },
    stop() {
      ctl(['-m', 'fast', '-w', 'stop'], 'PostgreSQL stop');
    },
    isRunning() {
      const asUser = asRoot() ? ['runuser', ['-u', SYSTEM_USER, '--', 'pg_ctl']] : ['pg_ctl', []];
      const [command, prefix] = asUser as [string, string[]];
      return spawnSync(command, [...prefix, '-D', dataDir, 'status'], { encoding: 'utf8' }).status === 0;
    },
  };
}
