// The versions `npm run cluster` runs, kept in agreement with docker-compose.yml by a test.
export const TEMPORAL_SERVER_VERSION = '1.32.2';
/** The Go toolchain the Temporal server's go.mod asks for (fetched by `go` itself). */
export const GO_TOOLCHAIN = 'go1.27.3';
export const POSTGRES_MAJOR = 15;
/** The SQL plugin and schema directory for PostgreSQL 12 and later. */
export const SQL_PLUGIN = 'postgres12';
export const NAMESPACE = 'default';
