// The Temporal server on the cluster's PostgreSQL: both schemas set up (or brought up to date),
// the configuration written, the server started, the namespace and search attributes made.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { readTemporalSecurity } from '../config/temporal-security';
import { SEARCH_ATTRIBUTES } from '../workflows/messages';
import { clientTlsEnv, type ClusterCertificates } from './certificates';
import { startProcess, type ManagedProcess } from './processes';
import { DYNAMIC_CONFIG_FILE, serverConfigYaml, type ClusterPorts } from './server-config';
import type { TemporalServerTools } from './temporal-server-build';
import { NAMESPACE, RETENTION_HOURS, SQL_PLUGIN } from './versions';

const DATABASES = [
  { name: 'temporal', schema: 'temporal' },
  { name: 'temporal_visibility', schema: 'visibility' },
] as const;
const RETENTION_MS = RETENTION_HOURS * 3_600_000;

/**
 * The SQL tool's steps that create both databases when missing and bring their schemas to this
 * server version's, in order; `schemaDir` holds `temporal/` and `visibility/` (postgresql/v12).
 * Both first steps are no-ops on a database already set up (create-database skips an existing
 * one, setup-schema -v 0.0 one at a later version); update-schema then applies what is new.
 * docker-compose.yml's temporal-schema service runs the same steps (a test compares them).
 */
export function schemaSteps(schemaDir: string): Array<{ database: string; args: string[] }> {
  return DATABASES.flatMap(({ name, schema }) => [
    { database: name, args: ['create-database'] },
    { database: name, args: ['setup-schema', '-v', '0.0'] },
    { database: name, args: ['update-schema', '-d', `${schemaDir}/${schema}/versioned`] },
  ]);
}

export interface Database {
  port: number;
  user: string;
  password: string;
}

function sqlTool(tools: TemporalServerTools, database: Database, name: string, args: string[]): string {
  const result = spawnSync(tools.sqlTool, ['--plugin', SQL_PLUGIN, '--db', name, ...args], {
    encoding: 'utf8',
    // The password goes by environment, not on a command line other users can read.
    env: {
      ...process.env,
      SQL_HOST: '127.0.0.1',
      SQL_PORT: String(database.port),
      SQL_USER: database.user,
      SQL_PASSWORD: database.password,
    },
  });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0)
    throw new Error(`temporal-sql-tool ${args[0]} on ${name} failed: ${output.trim()}`);
  return output;
}

/** Creates both databases when missing, and brings their schemas to this server version's. */
export function setUpSchemas(tools: TemporalServerTools, database: Database): void {
  for (const step of schemaSteps(tools.schemaDir)) sqlTool(tools, database, step.database, step.args);
}

export function writeServerConfig(
  dir: string,
  ports: ClusterPorts,
  certs: ClusterCertificates,
  database: Database,
): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const configFile = join(dir, 'temporal-server.yaml');
  const yaml = serverConfigYaml({
    ports,
    certs,
    databaseUser: database.user,
    databasePassword: database.password,
    dynamicConfigFile: DYNAMIC_CONFIG_FILE,
  });
  // It holds the database password.
  writeFileSync(configFile, yaml, { mode: 0o600 });
  return configFile;
}

export function startTemporalServer(
  tools: TemporalServerTools,
  configFile: string,
  logFile: string,
  onUnexpectedExit: (name: string, how: string) => void,
): ManagedProcess {
  return startProcess({
    name: 'temporal-server',
    command: tools.server,
    args: ['--config-file', configFile, '--allow-no-auth', 'start'],
    logFile,
    onUnexpectedExit,
  });
}

/** A client connection through the cluster's mTLS, as our workers and servers make it. */
export function connectWithClientCertificate(
  address: string,
  certs: ClusterCertificates,
): Promise<Connection> {
  const { tls } = readTemporalSecurity(clientTlsEnv(certs));
  return Connection.connect({ address, tls, connectTimeout: 2000 });
}

export async function waitUntilServing(
  address: string,
  certs: ClusterCertificates,
  server: ManagedProcess,
  onWaiting: (seconds: number) => void,
  timeoutMs = 120_000,
): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`the Temporal server stopped while starting; see ${server.logFile}`);
    }
    try {
      const connection = await connectWithClientCertificate(address, certs);
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch {
      // not up yet
    }
    const waited = Date.now() - started;
    if (waited > timeoutMs)
      throw new Error(
        `the Temporal server did not answer within ${timeoutMs / 1000} s; see ${server.logFile}`,
      );
    onWaiting(Math.round(waited / 1000));
    await sleep(2000);
  }
}

function isAlreadyExists(error: unknown): boolean {
  return /already exists|already registered/i.test(String(error));
}

/** The namespace and our search attributes, made once; waits until the frontend sees them. */
export async function ensureNamespace(address: string, certs: ClusterCertificates): Promise<void> {
  const connection = await connectWithClientCertificate(address, certs);
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace: NAMESPACE,
        workflowExecutionRetentionPeriod: msToTs(RETENTION_MS),
      });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    for (let attempt = 1; ; attempt++) {
      try {
        const listed = await connection.operatorService.listSearchAttributes({ namespace: NAMESPACE });
        const missing = SEARCH_ATTRIBUTES.map((key) => key.name).filter(
          (name) => !(name in (listed.customAttributes ?? {})),
        );
        if (missing.length === 0) return;
        await connection.operatorService.addSearchAttributes({
          namespace: NAMESPACE,
          searchAttributes: Object.fromEntries(missing.map((name) => [name, keyword])),
        });
      } catch (error) {
        // A namespace just registered takes a few seconds to reach every service.
        if (attempt >= 30) throw error;
      }
      await sleep(1000);
    }
  } finally {
    await connection.close();
  }
}
