// The Temporal server's configuration for the cluster: PostgreSQL for history and visibility,
// all four services in one process, and mTLS on the frontend and between the services.
import { join } from 'node:path';
import type { ClusterCertificates } from './certificates';
import { HISTORY_SHARDS, SQL_PLUGIN } from './versions';

export interface ClusterPorts {
  postgres: number;
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  metrics: number;
}

/** Each service's membership (gossip) port sits this far below its gRPC port. */
const MEMBERSHIP_OFFSET = 300;

export const DEFAULT_CLUSTER_PORTS: ClusterPorts = {
  postgres: 15432,
  frontend: 17233,
  frontendHttp: 17243,
  history: 17234,
  matching: 17235,
  worker: 17239,
  metrics: 18000,
};

export interface ServerConfigInput {
  ports: ClusterPorts;
  certs: ClusterCertificates;
  databaseUser: string;
  databasePassword: string;
  dynamicConfigFile: string;
}

function datastore(database: string, input: ServerConfigInput, maxConns: number): string {
  return `      sql:
        pluginName: "${SQL_PLUGIN}"
        databaseName: "${database}"
        connectAddr: "127.0.0.1:${input.ports.postgres}"
        connectProtocol: "tcp"
        user: "${input.databaseUser}"
        password: "${input.databasePassword}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
}

function service(grpcPort: number, extra = ''): string {
  return `    rpc:
      grpcPort: ${grpcPort}
      membershipPort: ${grpcPort - MEMBERSHIP_OFFSET}
      bindOnLocalHost: true${extra}`;
}

export function serverConfigYaml(input: ServerConfigInput): string {
  const { ports, certs } = input;
  const serverTls = `          requireClientAuth: true
          certFile: "${certs.serverCertFile}"
          keyFile: "${certs.serverKeyFile}"
          clientCaFiles: ["${certs.caFile}"]`;
  const clientTls = `          serverName: "${certs.serverName}"
          rootCaFiles: ["${certs.caFile}"]`;
  return `# Written by npm run cluster (cluster/server-config.ts): do not edit, it is rewritten at start.
log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${HISTORY_SHARDS}
  datastores:
    postgres-default:
${datastore('temporal', input, 20)}
    postgres-visibility:
${datastore('temporal_visibility', input, 4)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:${ports.metrics}"
  tls:
    internode:
      server:
${serverTls}
      client:
${clientTls}
    frontend:
      server:
${serverTls}
      client:
${clientTls}
    systemWorker:
      certFile: "${certs.serverCertFile}"
      keyFile: "${certs.serverKeyFile}"
      client:
${clientTls}

services:
  frontend:
${service(ports.frontend, `\n      httpPort: ${ports.frontendHttp}`)}
  matching:
${service(ports.matching)}
  history:
${service(ports.history)}
  worker:
${service(ports.worker)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "localhost:${ports.frontend}"

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: "${input.dynamicConfigFile}"
  pollInterval: "10s"
`;
}

/** Temporal's dynamic config, the same file for `npm run cluster` and docker-compose.yml. */
export const DYNAMIC_CONFIG_FILE = join(__dirname, 'dynamicconfig.yaml');
