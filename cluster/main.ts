// `npm run cluster`: the production shape on this machine. PostgreSQL, the Temporal server
// (built from the Go module proxy) behind mTLS, two workers and two HTTP servers, the sandbox.
// Every URL printed; Ctrl-C stops everything in order.
import { join } from 'node:path';
import { startCluster, type RunningCluster } from './cluster';
import { CLUSTER_LAYOUT as LAYOUT } from './layout';
import { acquireRunLock } from './run-lock';
import { NAMESPACE, TEMPORAL_SERVER_VERSION } from './versions';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function printUrls(cluster: RunningCluster): void {
  const { certs, address } = cluster;
  say('');
  say('Red packets is running as a cluster:');
  for (const [index, http] of cluster.servers.entries()) {
    say(`  HTTP API        ${http.apiUrl}   webhook ${http.webhookUrl}/alipay/notify  (server-${index + 1})`);
  }
  say(`  API key         ${cluster.apiKey.tokenFile}`);
  say(`  Alipay notifies ${cluster.notifyUrl}`);
  say(
    `  Alipay sandbox  ${cluster.sandbox.url}/gateway.do  (ledger: ${cluster.sandbox.url}/sandbox/packets/<authNo>)`,
  );
  for (const worker of LAYOUT.workers)
    say(`  ${worker.name}        metrics http://127.0.0.1:${worker.metrics}/metrics`);
  say(
    `  Temporal        ${address}  v${TEMPORAL_SERVER_VERSION}, namespace ${NAMESPACE}, mTLS required; ` +
      `metrics http://127.0.0.1:${LAYOUT.ports.metrics}/metrics`,
  );
  say(`  Temporal UI     ${cluster.uiUrl ?? 'none'}/namespaces/${NAMESPACE}/workflows`);
  say(`  logs            ${cluster.logDir}`);
  say('  The CLI, through mTLS:');
  say(
    `    temporal workflow list --address ${address} --tls-ca-path ${certs.caFile} ` +
      `--tls-cert-path ${certs.clientCertFile} --tls-key-path ${certs.clientKeyFile} --tls-server-name ${certs.serverName}`,
  );
  say(
    `Try it: DATA_DIR=.data/cluster TEMPORAL_UI_URL=${cluster.uiUrl ?? ''} HTTP_PORT=${LAYOUT.servers[0]!.api} WEBHOOK_PORT=${LAYOUT.servers[0]!.webhook} ` +
      `SANDBOX_PORT=${LAYOUT.sandboxPort} npm run redpacket -- demo    Press Ctrl-C to stop.`,
  );
}

async function main(): Promise<void> {
  const lock = acquireRunLock(LAYOUT.dataDir, say);
  let cluster: RunningCluster | undefined;
  let stopping = false;
  let interrupted: (() => void) | undefined;
  const interruption = new Promise<void>((resolve) => (interrupted = resolve));
  // Signals are taken from the first moment: a Ctrl-C while starting stops what has started;
  // a second one kills the children at once.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      say(`${signal} again: killing every child now`);
      lock.killChildren();
      return;
    }
    stopping = true;
    say(`\n${signal}: stopping the HTTP servers, the workers, the sandbox, Temporal and PostgreSQL ...`);
    interrupted?.();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  try {
    cluster = await startCluster({
      ...LAYOUT,
      say,
      checkpoint: () => {
        if (stopping) throw new Error('interrupted while starting');
      },
      onUnexpectedExit: (name, how) => {
        if (!stopping)
          say(`!! ${name} stopped (${how}); its log: ${join(LAYOUT.dataDir, 'logs', `${name}.log`)}`);
      },
      onChild: (pid) => lock.recordChild(pid),
    });
  } catch (error) {
    lock.release();
    if (stopping) {
      say('Stopped.');
      return;
    }
    throw error;
  }
  printUrls(cluster);
  await interruption;
  await cluster.stop();
  lock.release();
  say('Stopped.');
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run cluster: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
