// The cluster's supervisor: a process that exits by itself is started again, with backoff; one
// killed or stopped on purpose stays down until it is started.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { restartable, startProcess } from '../../cluster/processes';
import { eventually } from '../helpers/lifecycle-env';

const dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A restartable shell command, counting its starts. */
function counted(script: string, supervise: boolean) {
  let starts = 0;
  const process = restartable({
    start: () => {
      starts += 1;
      return startProcess({
        name: 'child',
        command: 'sh',
        args: ['-c', script],
        logFile: join(dir, 'child.log'),
      });
    },
    supervise,
  });
  return { process, starts: () => starts };
}

describe('the cluster supervisor', () => {
  it('starts a supervised process that exits by itself again, after 1 s then 2 s', async () => {
    const { process, starts } = counted('exit 3', true);
    const began = Date.now();
    await eventually(
      async () => starts(),
      (count) => count >= 3,
      10_000,
    );
    // Two restarts: after 1 s and after 2 more.
    expect(Date.now() - began).toBeGreaterThanOrEqual(2900);
    await process.stop();
  });

  it('leaves a process that is not supervised down when it exits', async () => {
    const { starts } = counted('exit 3', false);
    await sleep(1500);
    expect(starts()).toBe(1);
  });

  it('keeps a killed process down (no restart) until start, then runs it again', async () => {
    const { process, starts } = counted('sleep 60', true);
    await process.kill();
    await sleep(1500);
    expect(starts()).toBe(1);
    expect(process.running()).toBe(false);
    await process.start();
    expect(starts()).toBe(2);
    expect(process.running()).toBe(true);
    await process.stop();
    await sleep(1500);
    expect(starts()).toBe(2);
  });
});
