// docker-compose.yml describes the shape `npm run cluster` runs here (DESIGN.md section 9): the
// same releases, schema steps, namespace, search attributes, mTLS settings and dynamic config.
// Docker cannot run on this machine, so the two are compared as data.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clientTlsEnv, ensureClusterCertificates } from '../../cluster/certificates';
import { DYNAMIC_CONFIG_FILE } from '../../cluster/server-config';
import { schemaSteps } from '../../cluster/temporal-server';
import { uiServerConfig } from '../../cluster/temporal-ui';
import {
  COMPOSE_IMAGES,
  HISTORY_SHARDS,
  NAMESPACE,
  POSTGRES_MAJOR,
  RETENTION_HOURS,
  SQL_PLUGIN,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_VERSION,
} from '../../cluster/versions';
import { SEARCH_ATTRIBUTES } from '../../workflows/messages';

const ROOT = join(__dirname, '..', '..');
/** Where Temporal's admin-tools image keeps the schema files (its Dockerfile copies them there). */
const IMAGE_SCHEMA_DIR = '/etc/temporal/schema/postgresql/v12';

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const env = (service: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries(services[service]!.environment ?? {}).map(([name, value]) => [name, String(value)]),
  );
/** The shell command of a one-shot service, as one line with its statements split at ';'. */
const statements = (service: string): string[] =>
  services[service]!.command!.join(' ')
    .split(';')
    .map((statement) => statement.trim().replace(/\s+/g, ' '))
    .filter(Boolean);

const dir = mkdtempSync(join(tmpdir(), 'compose-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const certs = ensureClusterCertificates(dir);

describe('docker-compose.yml agrees with npm run cluster', () => {
  it('runs the same releases: PostgreSQL 15, the Temporal server and the UI server the cluster builds', () => {
    expect(COMPOSE_IMAGES).toEqual({
      postgres: `postgres:${POSTGRES_MAJOR}`,
      temporalServer: `temporalio/server:${TEMPORAL_SERVER_VERSION}`,
      temporalAdminTools: `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`,
      temporalUi: `temporalio/ui:${TEMPORAL_UI_VERSION}`,
    });
    expect(services['temporal-ui']!.image).toBe(COMPOSE_IMAGES.temporalUi);
    expect(services.postgresql!.image).toBe(COMPOSE_IMAGES.postgres);
    expect(services.temporal!.image).toBe(COMPOSE_IMAGES.temporalServer);
    expect(services['temporal-schema']!.image).toBe(COMPOSE_IMAGES.temporalAdminTools);
    expect(services['temporal-setup']!.image).toBe(COMPOSE_IMAGES.temporalAdminTools);
  });

  it('sets up both schemas with the same SQL tool steps, in the same order', () => {
    const expected = [
      'set -e',
      ...schemaSteps(IMAGE_SCHEMA_DIR).map(
        ({ database, args }) => `temporal-sql-tool --plugin ${SQL_PLUGIN} --db ${database} ${args.join(' ')}`,
      ),
    ];
    expect(statements('temporal-schema')).toEqual(expected);
    expect(env('temporal-schema')).toMatchObject({ SQL_HOST: 'postgresql', SQL_PORT: '5432' });
    expect(env('temporal')).toMatchObject({
      DB: SQL_PLUGIN,
      POSTGRES_SEEDS: 'postgresql',
      NUM_HISTORY_SHARDS: String(HISTORY_SHARDS),
    });
  });

  it('makes the same namespace, retention and search attributes', () => {
    const setup = statements('temporal-setup').join('; ');
    expect(setup).toContain(
      `temporal operator namespace create --namespace ${NAMESPACE} --retention ${RETENTION_HOURS}h`,
    );
    const names = SEARCH_ATTRIBUTES.map((key) => key.name).join(' ');
    expect(setup).toContain(`for name in ${names}`);
    expect(setup).toContain(`search-attribute create --namespace ${NAMESPACE} --name $$name --type Keyword`);
    expect(SEARCH_ATTRIBUTES.every((key) => key.type === 'KEYWORD')).toBe(true);
  });

  it('requires mTLS on the frontend and between the services, with the cluster certificates', () => {
    const server = env('temporal');
    expect(server.TEMPORAL_TLS_REQUIRE_CLIENT_AUTH).toBe('true');
    expect(server.TEMPORAL_TLS_INTERNODE_SERVER_NAME).toBe(certs.serverName);
    expect(server.TEMPORAL_TLS_FRONTEND_SERVER_NAME).toBe(certs.serverName);
    const mounted = (path: string): string => basename(path);
    expect(mounted(server.TEMPORAL_TLS_SERVER_CERT!)).toBe(basename(certs.serverCertFile));
    expect(mounted(server.TEMPORAL_TLS_FRONTEND_CERT!)).toBe(basename(certs.serverCertFile));
    expect(mounted(server.TEMPORAL_TLS_SERVER_KEY!)).toBe(basename(certs.serverKeyFile));
    expect(mounted(server.TEMPORAL_TLS_FRONTEND_KEY!)).toBe(basename(certs.serverKeyFile));
    expect(mounted(server.TEMPORAL_TLS_SERVER_CA_CERT!)).toBe(basename(certs.caFile));
    expect(mounted(server.TEMPORAL_TLS_CLIENT1_CA_CERT!)).toBe(basename(certs.caFile));
  });

  it('gives the UI the cluster client certificate in both, checks the server name, and only reads', () => {
    const ui = env('temporal-ui');
    expect(basename(ui.TEMPORAL_TLS_CA!)).toBe(basename(certs.caFile));
    expect(basename(ui.TEMPORAL_TLS_CERT!)).toBe(basename(certs.clientCertFile));
    expect(basename(ui.TEMPORAL_TLS_KEY!)).toBe(basename(certs.clientKeyFile));
    expect(ui.TEMPORAL_TLS_SERVER_NAME).toBe(certs.serverName);
    // No login in front of either: both only read.
    expect(ui.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
    expect(uiServerConfig({ address: '127.0.0.1:17233', port: 18080, certs })).toMatchObject({
      temporalGrpcAddress: '127.0.0.1:17233',
      host: '127.0.0.1',
      defaultNamespace: NAMESPACE,
      disableWriteActions: true,
      tls: {
        caFile: certs.caFile,
        certFile: certs.clientCertFile,
        keyFile: certs.clientKeyFile,
        serverName: certs.serverName,
        enableHostVerification: true,
      },
    });
  });

  it('points workers and HTTP servers at it through the same TEMPORAL_TLS_* settings as the cluster', () => {
    const cluster = clientTlsEnv(certs);
    for (const service of ['worker', 'http']) {
      const settings = env(service);
      for (const [name, value] of Object.entries(cluster)) {
        expect(settings[name], `${service} ${name}`).toBeDefined();
        if (name === 'TEMPORAL_TLS_SERVER_NAME') expect(settings[name]).toBe(value);
        else expect(basename(settings[name]!), `${service} ${name}`).toBe(basename(value));
      }
    }
    const cli = env('temporal-setup');
    expect(basename(cli.TEMPORAL_TLS_CLIENT_CERT_PATH!)).toBe(basename(certs.clientCertFile));
    expect(basename(cli.TEMPORAL_TLS_CLIENT_KEY_PATH!)).toBe(basename(certs.clientKeyFile));
    expect(basename(cli.TEMPORAL_TLS_SERVER_CA_CERT_PATH!)).toBe(basename(certs.caFile));
    expect(cli.TEMPORAL_TLS_SERVER_NAME).toBe(certs.serverName);
  });

  it('mounts the certificates where every TLS path points, and the dynamic config the cluster uses', () => {
    for (const [name, service] of Object.entries(services)) {
      const tlsPaths = Object.values(env(name)).filter((value) =>
        value.startsWith('/run/secrets/temporal-tls/'),
      );
      if (tlsPaths.length === 0) continue;
      expect(service.volumes, name).toContain('./secrets/temporal-tls:/run/secrets/temporal-tls:ro');
    }
    const dynamicConfig = env('temporal').DYNAMIC_CONFIG_FILE_PATH;
    expect(services.temporal!.volumes).toContain(
      `./${relative(ROOT, DYNAMIC_CONFIG_FILE)}:${dynamicConfig}:ro`,
    );
  });
});
