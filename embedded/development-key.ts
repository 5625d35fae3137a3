// `npm start` without API_KEYS_FILE: a development key with every scope, created once and reused,
// so `npm start` and `npm run redpacket` stay two commands with no key to copy by hand.
import { readFileSync } from 'node:fs';
import {
  findKey,
  mintKey,
  readKeysFileOrEmpty,
  SCOPES,
  updateKeysFile,
  writeSecretFile,
} from '../client/api-keys';
import { developmentKeyFiles } from '../config/data-dir';

const DEVELOPMENT_KEY_NAME = 'development (npm start)';

function readToken(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The development key's files; a token whose key is gone or revoked is replaced by a new one. */
export function ensureDevelopmentKey(dataDir: string): {
  tokenFile: string;
  keysFile: string;
  created: boolean;
} {
  const files = developmentKeyFiles(dataDir);
  const keysFile = readKeysFileOrEmpty(files.keysFile);
  const token = readToken(files.tokenFile);
  const live = token && findKey(new Map(keysFile.keys.map((key) => [key.id, key])), token);
  if (live && SCOPES.every((scope) => live.scopes.includes(scope))) return { ...files, created: false };
  const minted = mintKey(SCOPES, DEVELOPMENT_KEY_NAME);
  updateKeysFile(files.keysFile, (current) => ({ version: 1, keys: [...current.keys, minted.record] }));
  writeSecretFile(files.tokenFile, `${minted.token}\n`);
  return { ...files, created: true };
}
