// The versions `npm run cluster` runs, kept in agreement with docker-compose.yml by a test.
export const TEMPORAL_SERVER_VERSION = '1.32.2';
/** The Go toolchain the Temporal server's go.mod asks for (fetched by `go` itself). */
export const GO_TOOLCHAIN = 'go1.27.3';
/** The Temporal UI's server (github.com/temporalio/ui-server/v2), and the `temporalio/ui` image tag. */
export const TEMPORAL_UI_VERSION = '2.56.0';
export const POSTGRES_MAJOR = 15;
/** The SQL plugin and schema directory for PostgreSQL 12 and later. */
export const SQL_PLUGIN = 'postgres12';
export const NAMESPACE = 'default';
/** The namespace's retention: a finished packet's history stays readable this long. */
export const RETENTION_HOURS = 72;
export const HISTORY_SHARDS = 4;

/** The images docker-compose.yml runs: the same releases `npm run cluster` builds and runs here. */
export const COMPOSE_IMAGES = {
  postgres: `postgres:${POSTGRES_MAJOR}`,
  temporalServer: `temporalio/server:${TEMPORAL_SERVER_VERSION}`,
  /** Temporal's SQL tool, its schema files (under /etc/temporal/schema) and the `temporal` CLI. */
  temporalAdminTools: `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`,
  temporalUi: `temporalio/ui:${TEMPORAL_UI_VERSION}`,
} as const;
