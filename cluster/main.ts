// `npm run cluster`: the production shape on this machine. PostgreSQL, the Temporal server
// (built from the Go module proxy) behind mTLS, two workers and two HTTP servers, the sandbox.
// Every URL printed; Ctrl-C stops everything in order.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDevelopmentKey } from '../embedded/development-key';
import { PROJECT_ROOT } from '../embedded/temporal-binaries';
import { startSandbox } from '../sandbox/server';
import { clientTlsEnv, ensureClusterCertificates } from './certificates';
import { clusterPostgres } from './postgres';
import { startProcess, type ManagedProcess } from './processes';
import { acquireRunLock } from './run-lock';
import { DEFAULT_CLUSTER_PORTS } from './server-config';
import { ensureTemporalServer } from './temporal-server-build';
import {
  ensureNamespace,
  setUpSchemas,
  startTemporalServer,
  waitUntilServing,
  writeServerConfig,
} from './temporal-server';
import { NAMESPACE, TEMPORAL_SERVER_VERSION } from './versions';

const DATABASE_USER = 'temporal';
const SANDBOX_PORT = 18090;
const SERVERS = [
  { name: 'server-1', api: 13000, webhook: 13001 },
  { name: 'server-2', api: 13010, webhook: 13011 },
];
const WORKERS = [
  { name: 'worker-1', metrics: 19464 },
  { name: 'worker-2', metrics: 19465 },
];

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const dataDir = join(PROJECT_ROOT, '.data', 'cluster');
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const ports = DEFAULT_CLUSTER_PORTS;
  const address = `127.0.0.1:${ports.frontend}`;
  const stack: Array<() => Promise<void> | void> = [];
  const shutdown = async (): Promise<void> => {
    for (const step of stack.reverse()) {
      try {
        await step();
      } catch (error) {
        say(`shutdown: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  let stopping = false;
  const onUnexpectedExit = (name: string, how: string): void => {
    if (!stopping) say(`!! ${name} stopped (${how}); its log: ${join(logDir, `${name}.log`)}`);
  };
  const lock = acquireRunLock(dataDir, say);
  stack.push(() => lock.release());
  const children: ManagedProcess[] = [];
  const track = (child: ManagedProcess): ManagedProcess => {
    lock.recordChild(child.child.pid);
    children.push(child);
    return child;
  };

  // Signals are taken from the first moment: a Ctrl-C while starting stops what has started;
  // a second one kills the children at once.
  let interrupted: (() => void) | undefined;
  const interruption = new Promise<void>((resolve) => (interrupted = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      say(`${signal} again: killing every child now`);
      for (const child of children) void child.kill();
      return;
    }
    stopping = true;
    say(`\n${signal}: stopping the HTTP servers, the workers, the sandbox, Temporal and PostgreSQL ...`);
    interrupted?.();
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  const checkpoint = (): void => {
    if (stopping) throw new Error('interrupted while starting');
  };

  try {
    const tools = await ensureTemporalServer(join(PROJECT_ROOT, '.tools'), say);
    checkpoint();
    const certs = ensureClusterCertificates(join(dataDir, 'tls'));
    say(`mTLS: the cluster's own CA ${certs.caFile}; client certificate ${certs.clientCertFile}`);

    const postgres = clusterPostgres({
      dataDir: join(dataDir, 'postgres'),
      port: ports.postgres,
      user: DATABASE_USER,
      logFile: join(logDir, 'postgres.log'),
    });
    if (!postgres.isRunning()) postgres.start();
    stack.push(() => postgres.stop());
    say(`PostgreSQL       127.0.0.1:${ports.postgres}  (data ${join(dataDir, 'postgres')})`);
    const database = { port: ports.postgres, user: DATABASE_USER, password: postgres.password };
    setUpSchemas(tools, database);

    const configFile = writeServerConfig(join(dataDir, 'temporal'), ports, certs, database);
    checkpoint();
    const server = track(
      startTemporalServer(tools, configFile, join(logDir, 'temporal-server.log'), onUnexpectedExit),
    );
    stack.push(() => server.stop(20_000));
    await waitUntilServing(address, certs, server, (seconds) => {
      if (seconds % 10 === 0) say(`  waiting for the Temporal server on ${address} ... ${seconds}s`);
    });
    checkpoint();
    await ensureNamespace(address, certs);
    checkpoint();
    say(`Temporal server  ${address}  v${TEMPORAL_SERVER_VERSION}, namespace ${NAMESPACE}, mTLS required`);

    const sandbox = await startSandbox({ keyDir: join(dataDir, 'sandbox'), port: SANDBOX_PORT });
    stack.push(() => sandbox.close());
    const development = ensureDevelopmentKey(dataDir);
    const notifyUrl = `http://127.0.0.1:${SERVERS[0]!.webhook}/alipay/notify`;
    const common: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      ...clientTlsEnv(certs),
      ALIPAY_GATEWAY: sandbox.gatewayUrl,
      ALIPAY_APP_ID: sandbox.keys.appId,
      ALIPAY_PRIVATE_KEY_FILE: join(sandbox.keys.dir, 'app_private_key.pem'),
      ALIPAY_PUBLIC_KEY_FILE: join(sandbox.keys.dir, 'alipay_public_key.pem'),
      ALIPAY_NOTIFY_URL: notifyUrl,
      API_KEYS_FILE: development.keysFile,
    };
    const node = (name: string, script: string, env: NodeJS.ProcessEnv): ManagedProcess =>
      track(
        startProcess({
          name,
          command: process.execPath,
          args: ['--import', 'tsx', script],
          cwd: PROJECT_ROOT,
          env: { ...common, ...env },
          logFile: join(logDir, `${name}.log`),
          onUnexpectedExit,
        }),
      );
    for (const worker of WORKERS) {
      const started = node(worker.name, 'worker/main.ts', {
        WORKER_METRICS_ADDRESS: `127.0.0.1:${worker.metrics}`,
      });
      stack.push(() => started.stop());
    }
    for (const http of SERVERS) {
      const started = node(http.name, 'client/main.ts', {
        HTTP_PORT: String(http.api),
        WEBHOOK_PORT: String(http.webhook),
      });
      stack.push(() => started.stop());
    }
    await waitForHealth(SERVERS.flatMap((http) => [http.api, http.webhook]));

    say('');
    say('Red packets is running as a cluster:');
    for (const http of SERVERS) {
      say(
        `  HTTP API        http://127.0.0.1:${http.api}   webhook http://127.0.0.1:${http.webhook}/alipay/notify  (${http.name})`,
      );
    }
    say(`  API key         ${development.tokenFile}`);
    say(`  Alipay notifies ${notifyUrl}`);
    say(`  Alipay sandbox  ${sandbox.url}/gateway.do  (ledger: ${sandbox.url}/sandbox/packets/<authNo>)`);
    for (const worker of WORKERS)
      say(`  ${worker.name}        metrics http://127.0.0.1:${worker.metrics}/metrics`);
    say(
      `  Temporal        ${address}  (mTLS: TEMPORAL_TLS_* as below), metrics http://127.0.0.1:${ports.metrics}/metrics`,
    );
    say(`  logs            ${logDir}`);
    say('  The CLI, through mTLS:');
    say(
      `    temporal workflow list --address ${address} --tls-ca-path ${certs.caFile} ` +
        `--tls-cert-path ${certs.clientCertFile} --tls-key-path ${certs.clientKeyFile} --tls-server-name ${certs.serverName}`,
    );
    say(
      `Try it: DATA_DIR=.data/cluster HTTP_PORT=${SERVERS[0]!.api} WEBHOOK_PORT=${SERVERS[0]!.webhook} ` +
        `SANDBOX_PORT=${SANDBOX_PORT} npm run redpacket -- demo    Press Ctrl-C to stop.`,
    );
  } catch (error) {
    const wasInterrupted = stopping;
    stopping = true;
    await shutdown();
    if (wasInterrupted) {
      say('Stopped.');
      return;
    }
    throw error;
  }

  await interruption;
  await shutdown();
  say('Stopped.');
}

async function waitForHealth(ports: number[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline)
        throw new Error(`nothing healthy on port ${port} within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run cluster: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
