// The API keys a running server accepts, re-read from API_KEYS_FILE whenever the file changes, so
// a minted or revoked key takes effect within a second or two without a restart. A file that
// disappears or stops parsing fails closed: no key is accepted until it is readable again.
import { statSync } from 'node:fs';
import { ConfigError } from '../../config/errors';
import { findKey, readKeysFile, type ApiKeyRecord } from '../api-keys';

export interface ApiKeyLookup {
  authenticate(token: string): ApiKeyRecord | undefined;
}

export interface ApiKeyStoreOptions {
  /** How often the file's size, mtime and inode are compared (a stat call, nothing read). */
  reloadIntervalMs?: number;
  onReloadError?: (problem: string) => void;
}

type Signature = string;

function signatureOf(path: string): Signature | undefined {
  try {
    const stat = statSync(path);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return undefined;
  }
}

export class ApiKeyStore implements ApiKeyLookup {
  private keys = new Map<string, ApiKeyRecord>();
  private signature: Signature | undefined;
  private readonly timer: NodeJS.Timeout;

  /** Reads the file now; a missing or invalid file at start is a configuration error. */
  constructor(
    private readonly path: string,
    private readonly options: ApiKeyStoreOptions = {},
  ) {
    this.signature = signatureOf(path);
    try {
      this.keys = this.read();
    } catch (error) {
      const problem =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      throw new ConfigError(
        'API_KEYS_FILE',
        `${path}: ${problem} (mint a key with \`npm run -s redpacket -- keys create --scopes ...\`)`,
      );
    }
    this.timer = setInterval(() => this.reloadIfChanged(), options.reloadIntervalMs ?? 1000);
    this.timer.unref();
  }

  authenticate(token: string): ApiKeyRecord | undefined {
    return findKey(this.keys, token);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private read(): Map<string, ApiKeyRecord> {
    return new Map(readKeysFile(this.path).keys.map((key) => [key.id, key]));
  }

  private reloadIfChanged(): void {
    const signature = signatureOf(this.path);
    if (signature === this.signature) return;
    this.signature = signature;
    try {
      this.keys = this.read();
    } catch (error) {
      this.keys = new Map();
      // Read again on the next tick: a passing failure (EMFILE, EIO) must not lock keys out for good.
      this.signature = undefined;
      this.options.onReloadError?.(
        `API_KEYS_FILE ${this.path}: ${(error as Error).message}; no API key is accepted until it is fixed`,
      );
    }
  }
}
