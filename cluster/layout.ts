// Where `npm run cluster` puts everything: its data directory and every port (the benchmarks
// find a running cluster here).
import { join } from 'node:path';
import { PROJECT_ROOT } from '../embedded/temporal-binaries';
import type { ClusterLayout } from './cluster';
import { DEFAULT_CLUSTER_PORTS } from './server-config';

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
