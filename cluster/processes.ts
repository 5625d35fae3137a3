// The cluster's child processes: each in its own process group (Ctrl-C reaches the launcher,
// which stops them in order), its output in a log file, an unexpected exit said out loud.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ManagedProcess {
  name: string;
  logFile: string;
  child: ChildProcess;
  /** Started and not exited. */
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (for chaos runs). */
  kill(): Promise<void>;
}

export function startProcess(options: {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  onUnexpectedExit?: (name: string, how: string) => void;
}): ManagedProcess {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  let stopping = false;
  let spawnFailed = false;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      spawnFailed = true;
      options.onUnexpectedExit?.(options.name, `could not start: ${error.message}`);
      resolve();
    });
    child.once('exit', (code, signal) => {
      if (!stopping) options.onUnexpectedExit?.(options.name, signal ?? `exit code ${code}`);
      resolve();
    });
  });
  const running = (): boolean => !spawnFailed && child.exitCode === null && child.signalCode === null;
  // The child leads its own process group: signal the group, so nothing it started outlives it.
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  };
  return {
    name: options.name,
    logFile: options.logFile,
    child,
    running,
    async stop(graceMs = 10_000) {
      stopping = true;
      if (!running()) return;
      const force = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      signalGroup('SIGTERM');
      await exited;
      clearTimeout(force);
    },
    async kill() {
      stopping = true;
      if (!running()) return;
      signalGroup('SIGKILL');
      await exited;
    },
  };
}

/**
 * A process that can be killed (SIGKILL) and started again with the same settings. A supervised
 * one that exits by itself (it could not reach Temporal at start, say) is started again after a
 * backoff of 1 s doubling to 30 s, as Docker's `restart: unless-stopped` does: it stays down only
 * when killed or stopped on purpose.
 */
export interface Restartable {
  name: string;
  logFile: string;
  running(): boolean;
  /** SIGKILL; a supervised process stays down until `start`. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after the grace; stays down. */
  stop(): Promise<void>;
  /** Starts it again when it is not running; resolves once `afterStart` says it is up. */
  start(): Promise<void>;
}

const SUPERVISOR_BACKOFF_MS = { first: 1000, max: 30_000 };
/** How long `start` waits for a supervised process to come up through its restarts. */
const START_PATIENCE_MS = 180_000;

export function restartable(options: {
  start: () => ManagedProcess;
  /** Resolves once the process is up; rejects if it exits first. */
  afterStart?: (started: ManagedProcess) => Promise<void>;
  supervise?: boolean;
  stopGraceMs?: number;
  say?: (line: string) => void;
}): Restartable {
  const afterStart = options.afterStart ?? (async () => undefined);
  let wanted = true;
  let backoffMs = SUPERVISOR_BACKOFF_MS.first;
  let pending: NodeJS.Timeout | undefined;
  let current: ManagedProcess;
  const launch = (): ManagedProcess => {
    const started = options.start();
    const launchedAt = Date.now();
    started.child.once('exit', () => {
      if (!options.supervise || !wanted || started !== current) return;
      // Up for a while: the next crash starts from the first backoff again.
      if (Date.now() - launchedAt > SUPERVISOR_BACKOFF_MS.max) backoffMs = SUPERVISOR_BACKOFF_MS.first;
      options.say?.(`${started.name} exited; starting it again in ${backoffMs / 1000} s`);
      pending = setTimeout(() => {
        pending = undefined;
        if (!current.running()) current = launch();
      }, backoffMs);
      backoffMs = Math.min(backoffMs * 2, SUPERVISOR_BACKOFF_MS.max);
    });
    return started;
  };
  const putDown = (): void => {
    wanted = false;
    clearTimeout(pending);
    pending = undefined;
  };
  current = launch();
  return {
    name: current.name,
    logFile: current.logFile,
    running: () => current.running(),
    kill() {
      putDown();
      return current.kill();
    },
    stop() {
      putDown();
      return current.stop(options.stopGraceMs);
    },
    async start() {
      wanted = true;
      backoffMs = SUPERVISOR_BACKOFF_MS.first;
      if (!current.running() && pending === undefined) current = launch();
      const giveUpAt = Date.now() + START_PATIENCE_MS;
      for (;;) {
        const starting = current;
        try {
          await afterStart(starting);
          return;
        } catch (error) {
          if (!options.supervise || !wanted || Date.now() > giveUpAt) throw error;
          // It exited while coming up: the supervisor starts it again; wait for that start.
          while (current === starting && wanted && Date.now() < giveUpAt)
            await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    },
  };
}
