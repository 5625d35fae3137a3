// One `npm run cluster` per data directory, and a dead run's children stopped by the next one.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireRunLock, alive, startTicks } from '../../cluster/run-lock';
import { eventually } from '../helpers/lifecycle-env';

const dir = mkdtempSync(join(tmpdir(), 'cluster-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = (): void => undefined;

describe('the cluster run lock', () => {
  it('refuses a second run while the first holds it, naming its pid, and is free once released', () => {
    const first = acquireRunLock(dir, quiet);
    expect(() => acquireRunLock(dir, quiet)).toThrow(
      `another npm run cluster is running (pid ${process.pid})`,
    );
    first.release();
    acquireRunLock(dir, quiet).release();
  });

  it('takes over from a run that died, and stops the process groups it left', async () => {
    // A run that died: its lock names a pid that is gone, its child still runs in its own group.
    writeFileSync(join(dir, 'cluster.pid'), '2147483646\n');
    const orphan = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    // Recorded with its start time; a pid now used by another process (wrong start time) is left alone.
    const bystander = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    writeFileSync(
      join(dir, 'cluster.children'),
      `${orphan.pid} ${startTicks(orphan.pid!)}\n${bystander.pid} 1\n`,
    );
    const said: string[] = [];
    const lock = acquireRunLock(dir, (line) => said.push(line));
    expect(said).toEqual([
      `stopping process group ${orphan.pid} left by an earlier run that did not stop cleanly`,
    ]);
    await eventually(
      async () => alive(orphan.pid!),
      (running) => !running,
      5000,
    );
    expect(alive(bystander.pid!)).toBe(true);
    bystander.kill('SIGKILL');
    lock.release();
  });

  it('kills the children it recorded on demand (the second Ctrl-C), and only those', async () => {
    const lock = acquireRunLock(dir, quiet);
    const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const stranger = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    lock.recordChild(child.pid);
    expect(lock.killChildren()).toEqual([child.pid]);
    await eventually(
      async () => alive(child.pid!),
      (running) => !running,
      5000,
    );
    expect(alive(stranger.pid!)).toBe(true);
    stranger.kill('SIGKILL');
    lock.release();
  });
});
