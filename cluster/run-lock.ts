// One `npm run cluster` per data directory, and nothing left over from one that died: its pid
// in a lock file, the process groups of its children in another, reaped by the next start.
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The lock's own files in the data directory (everything else there is the run's data). */
export const RUN_LOCK_FILES = ['cluster.pid', 'cluster.children'];

/**
 * When the process started, in clock ticks since boot (`/proc/<pid>/stat` field 22), so a pid
 * reused by an unrelated process is told apart from the child it once was; undefined when gone.
 */
export function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The children a run recorded that still run as themselves: `<pid> <start ticks>` per line. */
export function recordedChildren(childrenFile: string): number[] {
  let text = '';
  try {
    text = readFileSync(childrenFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.trim().split(' '))
    .filter(
      ([pid, ticks]) =>
        Number(pid) > 0 && ticks !== undefined && alive(Number(pid)) && startTicks(Number(pid)) === ticks,
    )
    .map(([pid]) => Number(pid));
}

export interface RunLock {
  /** Remembers a child's process group, so a later start can stop it if this run dies. */
  recordChild(pid: number | undefined): void;
  /** SIGKILLs the process group of every recorded child still running as itself. */
  killChildren(): number[];
  release(): void;
}

function killGroups(pids: number[]): number[] {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Takes the lock, or throws naming the run that holds it; reaps what a dead run left. */
export function acquireRunLock(dataDir: string, say: (line: string) => void): RunLock {
  const [lockName, childrenName] = RUN_LOCK_FILES as [string, string];
  const lockFile = join(dataDir, lockName);
  const childrenFile = join(dataDir, childrenName);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = readPid(lockFile);
      if (holder !== undefined && alive(holder)) {
        throw new Error(`another npm run cluster is running (pid ${holder}); stop it first (Ctrl-C there)`);
      }
      rmSync(lockFile, { force: true });
    }
  }
  for (const pid of killGroups(recordedChildren(childrenFile)))
    say(`stopping process group ${pid} left by an earlier run that did not stop cleanly`);
  writeFileSync(childrenFile, '');
  return {
    recordChild(pid) {
      const ticks = pid === undefined ? undefined : startTicks(pid);
      if (pid !== undefined && ticks !== undefined) appendFileSync(childrenFile, `${pid} ${ticks}\n`);
    },
    killChildren: () => killGroups(recordedChildren(childrenFile)),
    release() {
      rmSync(childrenFile, { force: true });
      rmSync(lockFile, { force: true });
    },
  };
}
