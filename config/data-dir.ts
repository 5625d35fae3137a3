// Where the embedded default keeps its files (DATA_DIR, default .data at the project root), and
// the names of the development API key files in it, shared by `npm start` and the CLI.
import { join, resolve } from 'node:path';
import { optional, type Env } from './env';

const PROJECT_ROOT = resolve(__dirname, '..');

export function dataDirFrom(env: Env = process.env): string {
  return resolve(PROJECT_ROOT, optional(env, 'DATA_DIR') ?? '.data');
}

/** The development key `npm start` creates: the token (mode 0600) and the keys file with its hash. */
export function developmentKeyFiles(dataDir: string): { tokenFile: string; keysFile: string } {
  return { tokenFile: join(dataDir, 'api-key'), keysFile: join(dataDir, 'api-keys.json') };
}

/** The keys file the servers and `redpacket keys` use: API_KEYS_FILE, else the development one. */
export function apiKeysFileFrom(env: Env = process.env): string {
  return optional(env, 'API_KEYS_FILE') ?? developmentKeyFiles(dataDirFrom(env)).keysFile;
}
