// `npm run cluster:certificates [-- <dir>]`: the cluster's CA and mTLS certificates for
// docker-compose.yml (default ./secrets/temporal-tls), made as `npm run cluster` makes its own.
import { resolve } from 'node:path';
import { ensureClusterCertificates } from './certificates';

const dir = resolve(process.argv[2] ?? 'secrets/temporal-tls');
const certs = ensureClusterCertificates(dir);
console.log(`Temporal mTLS certificates in ${dir} (server name ${certs.serverName}):`);
for (const file of [
  certs.caFile,
  certs.serverCertFile,
  certs.serverKeyFile,
  certs.clientCertFile,
  certs.clientKeyFile,
])
  console.log(`  ${file}`);
console.log(
  'The keys are readable by their owner only; the containers run as uid 1000, so for docker compose: ' +
    `sudo chown -R 1000 ${dir}`,
);
