// API keys of the service API: what a key file holds, how a key is minted, how a token is checked.
// The file holds each key's id, scopes and the SHA-256 of its token, never the token: tokens carry
// 256 random bits, so a fast hash is enough (there is nothing to guess from a hash).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export const SCOPES = ['packets:create', 'packets:claim', 'packets:read', 'packets:close', 'codec'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: Scope[];
  /** Hex SHA-256 of the whole token. */
  sha256: string;
  createdAt: string;
  revokedAt?: string;
}

export interface ApiKeysFile {
  version: 1;
  keys: ApiKeyRecord[];
}

/** `rpk_<12 hex id>_<43 base64url chars>`: the id finds the record, the rest is the secret. */
const TOKEN = /^rpk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
const KEY_ID = /^[0-9a-f]{12}$/;
/** Records in one file, revoked ones included (`keys prune` drops those). */
export const MAX_KEYS = 1000;

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function mintKey(
  scopes: readonly Scope[],
  name: string,
  now: Date = new Date(),
): { token: string; record: ApiKeyRecord } {
  const id = randomBytes(6).toString('hex');
  const token = `rpk_${id}_${randomBytes(32).toString('base64url')}`;
  return {
    token,
    record: {
      id,
      name,
      scopes: [...new Set(scopes)],
      sha256: hashToken(token),
      createdAt: now.toISOString(),
    },
  };
}

/** The record a token belongs to, if it is live; the secret part is compared in constant time. */
export function findKey(keys: ReadonlyMap<string, ApiKeyRecord>, token: string): ApiKeyRecord | undefined {
  const id = TOKEN.exec(token)?.[1];
  const record = id === undefined ? undefined : keys.get(id);
  if (!record || record.revokedAt !== undefined) return undefined;
  const presented = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(record.sha256, 'hex');
  return stored.length === presented.length && timingSafeEqual(stored, presented) ? record : undefined;
}

function fail(problem: string): never {
  throw new Error(`not a valid API keys file: ${problem}`);
}

/** Parses and checks a keys file; any deviation is an error (the caller decides how to fail closed). */
export function parseKeysFile(text: string): ApiKeysFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail('not JSON');
  }
  const file = json as { version?: unknown; keys?: unknown };
  if (typeof json !== 'object' || json === null || file.version !== 1)
    fail('expected {"version": 1, "keys": [...]}');
  if (!Array.isArray(file.keys) || file.keys.length > MAX_KEYS)
    fail(`keys must be a list of at most ${MAX_KEYS}`);
  const seen = new Set<string>();
  const keys = file.keys.map((entry: unknown, index): ApiKeyRecord => {
    const key = entry as Partial<Record<keyof ApiKeyRecord, unknown>>;
    const where = `keys[${index}]`;
    if (typeof key.id !== 'string' || !KEY_ID.test(key.id)) fail(`${where}.id must be 12 hex digits`);
    if (seen.has(key.id)) fail(`${where}.id ${key.id} appears twice`);
    seen.add(key.id);
    if (typeof key.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(key.sha256))
      fail(`${where}.sha256 must be 64 hex digits`);
    if (
      !Array.isArray(key.scopes) ||
      !key.scopes.every((scope) => typeof scope === 'string' && isScope(scope))
    )
      fail(`${where}.scopes must list only ${SCOPES.join(', ')}`);
    if (typeof key.createdAt !== 'string') fail(`${where}.createdAt is missing`);
    if (
      key.revokedAt !== undefined &&
      (typeof key.revokedAt !== 'string' || Number.isNaN(Date.parse(key.revokedAt)))
    )
      fail(`${where}.revokedAt must be a date`);
    return {
      id: key.id,
      name: typeof key.name === 'string' ? key.name : '',
      scopes: key.scopes as Scope[],
      sha256: key.sha256,
      createdAt: key.createdAt,
      ...(key.revokedAt === undefined ? {} : { revokedAt: key.revokedAt as string }),
    };
  });
  return { version: 1, keys };
}

export function readKeysFile(path: string): ApiKeysFile {
  return parseKeysFile(readFileSync(path, 'utf8'));
}

/** A keys file that does not exist yet reads as empty; any other failure is an error. */
export function readKeysFileOrEmpty(path: string): ApiKeysFile {
  try {
    return readKeysFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, keys: [] };
    throw error;
  }
}

/** Written whole and renamed into place, so a server re-reading it never sees half a file. */
export function writeKeysFile(path: string, file: ApiKeysFile): void {
  if (file.keys.length > MAX_KEYS)
    throw new Error(`${path} would hold more than ${MAX_KEYS} keys: drop revoked ones with \`keys prune\``);
  writeSecretFile(path, `${JSON.stringify(file, null, 2)}\n`);
}

const LOCK_WAIT_MS = 10_000;
const LOCK_STALE_MS = 60_000;

/**
 * Read, change and write the keys file under a lock file, so two commands at once (a revoke and a
 * create, or `npm start` making its development key) cannot undo each other.
 */
export function updateKeysFile(path: string, change: (file: ApiKeysFile) => ApiKeysFile): ApiKeysFile {
  mkdirSync(dirname(path), { recursive: true });
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let descriptor: number | undefined;
  while (descriptor === undefined) {
    try {
      descriptor = openSync(lock, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSafe(lock)?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) unlinkSafe(lock);
      else if (Date.now() > deadline)
        throw new Error(`${lock} is held by another command; remove it if none runs`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    const updated = change(readKeysFileOrEmpty(path));
    writeKeysFile(path, updated);
    return updated;
  } finally {
    closeSync(descriptor);
    unlinkSafe(lock);
  }
}

function statSafe(path: string): { mtimeMs: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function unlinkSafe(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * A file only its owner may read (mode 0600), written atomically: a new temporary file with an
 * unguessable name (created exclusively, so a planted link is never followed), synced, renamed.
 */
export function writeSecretFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  const descriptor = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(descriptor, content);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, path);
}
