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
  /** Adds a key to the file and resolves once the live store accepts it (it re-reads the file). */
  mint(scopes: readonly Scope[]): Promise<{ id: string; token: string }>;
  revoke(id: string): void;
}

const MINT_WAIT_MS = 10_000;

export function createTestKeys(reloadIntervalMs = 100): TestKeys {
  const keysFile = join(mkdtempSync(join(tmpdir(), 'api-keys-')), 'api-keys.json');
  const write = (scopes: readonly Scope[]): { id: string; token: string } => {
    const minted = mintKey(scopes, 'test');
    writeKeysFile(keysFile, { version: 1, keys: [...readKeysFileOrEmpty(keysFile).keys, minted.record] });
    return { id: minted.record.id, token: minted.token };
  };
  const { token } = write(SCOPES);
  const store = new ApiKeyStore(keysFile, { reloadIntervalMs });
  return {
    keysFile,
    token,
    store,
    async mint(scopes) {
      const minted = write(scopes);
      const deadline = Date.now() + MINT_WAIT_MS;
      while (!store.authenticate(minted.token)) {
        if (Date.now() > deadline)
          throw new Error(`the key store did not load ${minted.id} within ${MINT_WAIT_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return minted;
    },
    revoke(id) {
      const file = readKeysFileOrEmpty(keysFile);
      writeKeysFile(keysFile, {
        version: 1,
        keys: file.keys.map((key) => (key.id === id ? { ...key, revokedAt: new Date().toISOString() } : key)),
      });
    },
  };
}
