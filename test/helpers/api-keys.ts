// A keys file of its own for a test: one key with every scope, more on demand, a live store.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintKey, readKeysFileOrEmpty, SCOPES, writeKeysFile, type Scope } from '../../client/api-keys';
import { ApiKeyStore } from '../../client/http/api-key-store';

export interface TestKeys {
  keysFile: string;
  /** A key with every scope. */
  token: string;
  store: ApiKeyStore;
  mint(scopes: readonly Scope[]): { id: string; token: string };
  revoke(id: string): void;
}

export function createTestKeys(reloadIntervalMs = 100): TestKeys {
  const keysFile = join(mkdtempSync(join(tmpdir(), 'api-keys-')), 'api-keys.json');
  const mint: TestKeys['mint'] = (scopes) => {
    const minted = mintKey(scopes, 'test');
    writeKeysFile(keysFile, { version: 1, keys: [...readKeysFileOrEmpty(keysFile).keys, minted.record] });
    return { id: minted.record.id, token: minted.token };
  };
  const { token } = mint(SCOPES);
  return {
    keysFile,
    token,
    store: new ApiKeyStore(keysFile, { reloadIntervalMs }),
    mint,
    revoke(id) {
      const file = readKeysFileOrEmpty(keysFile);
      writeKeysFile(keysFile, {
        version: 1,
        keys: file.keys.map((key) => (key.id === id ? { ...key, revokedAt: new Date().toISOString() } : key)),
      });
    },
  };
}
