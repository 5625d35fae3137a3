// `redpacket keys create|list|revoke`: manage the API keys file in use (API_KEYS_FILE, else the
// development one under DATA_DIR). The running servers re-read the file within a second or two.
import { apiKeysFileFrom } from '../config/data-dir';
import { isScope, mintKey, readKeysFileOrEmpty, SCOPES, writeKeysFile, type Scope } from './api-keys';

export class KeysUsageError extends Error {}

export const KEYS_USAGE = `  keys create --scopes ${SCOPES.join(',')} [--name N]
         mints a key: prints the token alone on stdout (shown only this once), stores its hash
  keys list
  keys revoke <key id>`;

function parseScopes(raw: string | undefined): Scope[] {
  if (!raw) throw new KeysUsageError(`--scopes is required: any of ${SCOPES.join(', ')}`);
  const scopes = raw.split(',').map((scope) => scope.trim());
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0)
    throw new KeysUsageError(`unknown scope ${unknown.join(', ')}: use ${SCOPES.join(', ')}`);
  return scopes as Scope[];
}

export function runKeysCommand(
  args: { action: string | undefined; target: string | undefined; scopes?: string; name?: string },
  out: { stdout(line: string): void; stderr(line: string): void },
): void {
  const path = apiKeysFileFrom();
  const file = readKeysFileOrEmpty(path);
  switch (args.action) {
    case 'create': {
      const { token, record } = mintKey(parseScopes(args.scopes), args.name ?? '');
      writeKeysFile(path, { version: 1, keys: [...file.keys, record] });
      out.stderr(`created key ${record.id} (${record.scopes.join(', ')}) in ${path}`);
      out.stderr('the token below is shown only now; the file keeps its hash');
      out.stdout(token);
      return;
    }
    case 'list':
      out.stderr(`keys in ${path}:`);
      for (const key of file.keys) {
        const state = key.revokedAt ? `revoked ${key.revokedAt}` : 'live';
        out.stdout(
          `${key.id}  ${state.padEnd(32)}  ${key.scopes.join(',')}  created ${key.createdAt}  ${key.name}`.trimEnd(),
        );
      }
      return;
    case 'revoke': {
      const key = file.keys.find((candidate) => candidate.id === args.target);
      if (!key) throw new KeysUsageError(`no key ${String(args.target)} in ${path} (see \`keys list\`)`);
      if (key.revokedAt) {
        out.stderr(`key ${key.id} was already revoked at ${key.revokedAt}`);
        return;
      }
      const revokedAt = new Date().toISOString();
      writeKeysFile(path, {
        version: 1,
        keys: file.keys.map((candidate) => (candidate === key ? { ...candidate, revokedAt } : candidate)),
      });
      out.stderr(`revoked key ${key.id}; running servers refuse it within a few seconds`);
      return;
    }
    default:
      throw new KeysUsageError(KEYS_USAGE);
  }
}
