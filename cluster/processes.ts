// The cluster's child processes: each in its own process group (Ctrl-C reaches the launcher,
// which stops them in order), its output in a log file, an unexpected exit said out loud.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ManagedProcess {
  name: string;
  logFile: string;
  child: ChildProcess;
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
