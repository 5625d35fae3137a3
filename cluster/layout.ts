// Where a cluster puts everything: its data directory and every port. `npm run cluster` uses the
// layout at offset 0 (the benchmarks find a running cluster there); `npm run test:cluster` one
// shifted by 100, so it runs beside it.
import { join } from 'node:path';
import { PROJECT_ROOT } from '../embedded/temporal-binaries';
import type { ClusterLayout } from './cluster';
import { DEFAULT_CLUSTER_PORTS } from './server-config';

/** Every port of the default layout moved by `offset`; no sandbox port (one is picked) and no UI. */
export function shiftedLayout(dataDir: string, offset: number): ClusterLayout {
  const base = CLUSTER_LAYOUT;
  return {
    dataDir,
    ports: {
      postgres: base.ports.postgres + offset,
      frontend: base.ports.frontend + offset,
      frontendHttp: base.ports.frontendHttp + offset,
      history: base.ports.history + offset,
      matching: base.ports.matching + offset,
      worker: base.ports.worker + offset,
      metrics: base.ports.metrics + offset,
    },
    sandboxPort: 0,
    servers: base.servers.map((server) => ({
      ...server,
      api: server.api + offset,
      webhook: server.webhook + offset,
    })),
    workers: base.workers.map((worker) => ({ ...worker, metrics: worker.metrics + offset })),
  };
}

export const CLUSTER_LAYOUT: ClusterLayout = {
  dataDir: join(PROJECT_ROOT, '.data', 'cluster'),
  ports: DEFAULT_CLUSTER_PORTS,
  sandboxPort: 18090,
  uiPort: 18080,
  servers: [
    { name: 'server-1', api: 13000, webhook: 13001 },
    { name: 'server-2', api: 13010, webhook: 13011 },
  ],
  workers: [
    { name: 'worker-1', metrics: 19464 },
    { name: 'worker-2', metrics: 19465 },
  ],
};
