// How to reach a secured cluster (Temporal Cloud or any TLS frontend): mTLS client certificates
// or an API key, both from files. Unset: a plain connection (the embedded dev server).
import type { TLSConfig } from '@temporalio/client';
import { optional, readConfigFile, type Env } from './env';
import { ConfigError } from './errors';

export interface TemporalSecurity {
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

function file(env: Env, name: string): Buffer | undefined {
  const path = optional(env, name);
  return path === undefined ? undefined : readConfigFile(name, path);
}

export function readTemporalSecurity(env: Env = process.env): TemporalSecurity {
  const crt = file(env, 'TEMPORAL_TLS_CERT_FILE');
  const key = file(env, 'TEMPORAL_TLS_KEY_FILE');
  if (Boolean(crt) !== Boolean(key)) {
    throw new ConfigError(
      crt ? 'TEMPORAL_TLS_KEY_FILE' : 'TEMPORAL_TLS_CERT_FILE',
      'mTLS needs both the certificate and its key',
    );
  }
  const ca = file(env, 'TEMPORAL_TLS_CA_FILE');
  const serverName = optional(env, 'TEMPORAL_TLS_SERVER_NAME');
  const apiKey = file(env, 'TEMPORAL_API_KEY_FILE')?.toString('utf8').trim();
  if (apiKey === '') throw new ConfigError('TEMPORAL_API_KEY_FILE', 'the file is empty');
  const wantsTls = Boolean(crt || ca || serverName || apiKey);
  if (!wantsTls) return {};
  const tls: TLSConfig = {};
  if (crt && key) tls.clientCertPair = { crt, key };
  if (ca) tls.serverRootCACertificate = ca;
  if (serverName) tls.serverNameOverride = serverName;
  return { tls, apiKey };
}
