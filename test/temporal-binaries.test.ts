import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTemporalCli, resolveTestServer } from '../embedded/temporal-binaries';

function fakeExecutable(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('Temporal binary resolution', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bins-'));

  it('prefers the env variable over everything else', () => {
    const path = fakeExecutable(dir, 'my-temporal');
    expect(resolveTemporalCli({ TEMPORAL_CLI_PATH: path, PATH: '' })).toEqual({ path, source: 'env' });
  });

  it('rejects an env variable that names no executable, naming the variable', () => {
    expect(() => resolveTestServer({ TEMPORAL_TEST_SERVER_PATH: join(dir, 'missing') })).toThrow(
      /^TEMPORAL_TEST_SERVER_PATH: .*missing is not an executable file/,
    );
  });

  it('uses the project-local install from `npm ci` before PATH', () => {
    const onPath = fakeExecutable(dir, 'temporal');
    const resolved = resolveTemporalCli({ PATH: dir });
    expect(resolved?.source).toBe('project');
    expect(resolved?.path).toMatch(/\.tools\/venv\/bin\/temporal$/);
    expect(resolved?.path).not.toBe(onPath);
  });
});
