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

export interface RunLock {
  /** Remembers a child's process group, so a later start can stop it if this run dies. */
  recordChild(pid: number | undefined): void;
  release(): void;
}

/** Takes the lock, or throws naming the run that holds it; reaps what a dead run left. */
export function acquireRunLock(dataDir: string, say: (line: string) => void): RunLock {
  const lockFile = join(dataDir, 'cluster.pid');
  const childrenFile = join(dataDir, 'cluster.children');
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
  let leftovers: number[] = [];
  try {
    leftovers = readFileSync(childrenFile, 'utf8')
      .split('\n')
      .map(Number)
      .filter((pid) => Number.isInteger(pid) && pid > 0 && alive(pid));
  } catch {
    // no earlier run, or it ended cleanly
  }
  for (const pid of leftovers) {
    say(`stopping process group ${pid} left by an earlier run that did not stop cleanly`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  writeFileSync(childrenFile, '');
  return {
    recordChild(pid) {
      if (pid !== undefined) appendFileSync(childrenFile, `${pid}\n`);
    },
    release() {
      rmSync(childrenFile, { force: true });
      rmSync(lockFile, { force: true });
    },
  };
}
