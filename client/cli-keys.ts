// `redpacket keys create|list|revoke`: manage the API keys file in use (API_KEYS_FILE, else the
// development one under DATA_DIR). The running servers re-read the file within a second or two.
import { apiKeysFileFrom } from '../config/data-dir';
import { isScope, mintKey, readKeysFileOrEmpty, SCOPES, updateKeysFile, type Scope } from './api-keys';

export class KeysUsageError extends Error {}

export const KEYS_USAGE = `  keys create --scopes ${SCOPES.join(',')} [--name N]
         mints a key: prints the token alone on stdout (shown only this once), stores its hash
  keys list
  keys revoke <key id>
  keys prune            drops revoked keys from the file`;

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
  switch (args.action) {
    case 'create': {
      const { token, record } = mintKey(parseScopes(args.scopes), args.name ?? '');
      updateKeysFile(path, (file) => ({ version: 1, keys: [...file.keys, record] }));
      out.stderr(`created key ${record.id} (${record.scopes.join(', ')}) in ${path}`);
      out.stderr('the token below is shown only now; the file keeps its hash');
      out.stdout(token);
      return;
    }
    case 'list':
      out.stderr(`keys in ${path}:`);
      for (const key of readKeysFileOrEmpty(path).keys) {
        const state = key.revokedAt ? `revoked ${key.revokedAt}` : 'live';
        out.stdout(
          `${key.id}  ${state.padEnd(32)}  ${key.scopes.join(',')}  created ${key.createdAt}  ${key.name}`.trimEnd(),
        );
      }
      return;
    case 'revoke': {
      let already: string | undefined;
      updateKeysFile(path, (file) => {
        const key = file.keys.find((candidate) => candidate.id === args.target);
        if (!key) throw new KeysUsageError(`no key ${String(args.target)} in ${path} (see \`keys list\`)`);
        already = key.revokedAt;
        const revokedAt = already ?? new Date().toISOString();
        return {
          version: 1,
          keys: file.keys.map((candidate) => (candidate === key ? { ...candidate, revokedAt } : candidate)),
        };
      });
      out.stderr(
        already
          ? `key ${String(args.target)} was already revoked at ${already}`
          : `revoked key ${String(args.target)}; running servers refuse it within a few seconds`,
      );
      return;
    }
    case 'prune': {
      let dropped = 0;
      updateKeysFile(path, (file) => {
        const live = file.keys.filter((key) => !key.revokedAt);
        dropped = file.keys.length - live.length;
        return { version: 1, keys: live };
      });
      out.stderr(`dropped ${dropped} revoked key(s) from ${path}`);
      return;
    }
    default:
      throw new KeysUsageError(KEYS_USAGE);
  }
}
