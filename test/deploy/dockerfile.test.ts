// Docker cannot run here, so the image's build stage is replayed step by step in a temporary
// directory: its COPY lines copy, its ENV lines apply, its RUN lines run. The result must load
// the worker and the HTTP server with production dependencies only, and its prebundled workflow
// code must replay the recorded histories.
import { execSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR, readRecordedHistory } from '../helpers/history';

const ROOT = join(__dirname, '..', '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = dockerfile.split(/^FROM /m).slice(1);
const buildStage = stages[0]!;
const runtimeStage = stages[1]!;
const workdir = mkdtempSync(join(tmpdir(), 'image-build-'));

function instructions(stage: string): Array<[string, string]> {
  return stage
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return [keyword!, rest.join(' ')] as [string, string];
    });
}

afterAll(() => rmSync(workdir, { recursive: true, force: true }));

describe('Dockerfile', () => {
  it('is multi-stage, runs as a non-root user and loads prebundled workflow code', () => {
    expect(stages).toHaveLength(2);
    // Node 24, the version CI's second pass runs the suite on (scripts/install-node24.mjs).
    const ciNode = /NODE_VERSION = '(\d+)\./.exec(
      readFileSync(join(ROOT, 'scripts', 'install-node24.mjs'), 'utf8'),
    );
    expect(ciNode?.[1]).toBe('24');
    expect(buildStage).toMatch(/^node:24-\S* AS build/);
    expect(runtimeStage).toMatch(/^node:24-\S*\n/);
    const runtime = instructions(runtimeStage);
    expect(runtime).toContainEqual(['USER', 'node']);
    expect(runtime.find(([keyword]) => keyword === 'ENV')?.[1]).toContain(
      'WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js',
    );
    expect(runtime.filter(([keyword]) => keyword === 'RUN')).toEqual([]);
  });

  it('builds: its steps produce a tree that runs with production dependencies only', () => {
    const env: Record<string, string> = { ...process.env } as Record<string, string>;
    for (const [keyword, argument] of instructions(buildStage)) {
      if (keyword === 'ENV') {
        for (const [, name, value] of argument.matchAll(/(\w+)=(\S+)/g)) env[name!] = value!;
      } else if (keyword === 'COPY') {
        const parts = argument.split(/\s+/);
        const destination = parts.pop()!;
        for (const source of parts) {
          const target =
            destination.endsWith('/') || destination === '.' || destination === './'
              ? join(workdir, source)
              : join(workdir, destination);
          cpSync(join(ROOT, source), target, { recursive: true });
        }
      } else if (keyword === 'RUN') {
        execSync(argument, { cwd: workdir, env, stdio: 'pipe', timeout: 240_000 });
      }
    }
    expect(existsSync(join(workdir, 'dist', 'workflow-bundle.js'))).toBe(true);
    expect(existsSync(join(workdir, 'node_modules', 'vitest'))).toBe(false); // no dev dependencies
    expect(existsSync(join(workdir, '.tools'))).toBe(false); // no Temporal binaries in the image

    // Both entry points load their whole module graph, then stop at the missing config.
    for (const [entry, expected] of [
      ['worker/main.ts', 'worker: TEMPORAL_ADDRESS: required for a standalone worker (host:port)'],
      ['client/main.ts', 'server: TEMPORAL_ADDRESS: required for the standalone HTTP server'],
    ] as const) {
      const run = spawnSync('node', ['--import', 'tsx', entry], {
        cwd: workdir,
        env: {
          PATH: process.env.PATH ?? '',
          WORKFLOW_BUNDLE_PATH: join(workdir, 'dist', 'workflow-bundle.js'),
        },
        encoding: 'utf8',
      });
      expect(run.stderr.trim()).toBe(expected);
    }
  }, 300_000);

  it('its prebundled workflow code replays the recorded histories', async () => {
    const bundle = join(workdir, 'dist', 'workflow-bundle.js');
    const files = readdirSync(HISTORIES_DIR).filter((name) => name.endsWith('.binpb'));
    for (const file of files) {
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: bundle } },
        readRecordedHistory(join(HISTORIES_DIR, file)),
        file,
      );
    }
    expect(files.length).toBeGreaterThan(0);
  });
});
