// The production shape on this machine, as one handle: PostgreSQL, the Temporal server (built
// from the Go module proxy) behind mTLS, workers and HTTP servers as processes of their own, and
// the sandbox. `npm run cluster` starts it and waits for Ctrl-C; `npm run test:cluster` starts
// one of its own and breaks its parts (each can be killed and started again).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readTemporalSecurity, type TemporalSecurity } from '../config/temporal-security';
import { ensureDevelopmentKey } from '../embedded/development-key';
import { PROJECT_ROOT } from '../embedded/temporal-binaries';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../sandbox/server';
import { clientTlsEnv, ensureClusterCertificates, type ClusterCertificates } from './certificates';
import { ensureProductionNode } from './node-runtime';
import { clusterPostgres, type Postgres } from './postgres';
import { restartable, startProcess, type ManagedProcess, type Restartable } from './processes';
import type { ClusterPorts } from './server-config';
import { ensureTemporalServer, ensureTemporalUi } from './temporal-server-build';
import { startTemporalUi, waitForUi, writeUiConfig } from './temporal-ui';
import {
  ensureNamespace,
  setUpSchemas,
  startTemporalServer,
  waitUntilServing,
  writeServerConfig,
} from './temporal-server';
import { NAMESPACE } from './versions';

const DATABASE_USER = 'temporal';

export interface ClusterLayout {
  dataDir: string;
  ports: ClusterPorts;
  sandboxPort: number;
  servers: Array<{ name: string; api: number; webhook: number }>;
  workers: Array<{ name: string; metrics: number }>;
  /** The Temporal UI's port; no UI when unset. */
  uiPort?: number;
}

export interface ClusterOptions extends ClusterLayout {
  say: (line: string) => void;
  /** Sandbox settings beyond its keys and port (faults, time scale). */
  sandbox?: Omit<SandboxOptions, 'keyDir' | 'port'>;
  /** More environment for the workers and HTTP servers (a prebuilt bundle, shorter waits). */
  env?: NodeJS.ProcessEnv;
  /** Called between the steps of starting: throw to stop starting (Ctrl-C). */
  checkpoint?: () => void;
  /** A child that stops without being asked to: its name and how. */
  onUnexpectedExit?: (name: string, how: string) => void;
  /** Every child's pid, as it starts (the run lock records them). */
  onChild?: (pid: number | undefined) => void;
}

export interface RunningCluster {
  address: string;
  certs: ClusterCertificates;
  /** The client settings our own processes use: mTLS with the cluster's client certificate. */
  security: TemporalSecurity;
  sandbox: RunningSandbox;
  apiKey: { keysFile: string; tokenFile: string };
  notifyUrl: string;
  /** The Temporal UI, when the layout asks for one. */
  uiUrl: string | undefined;
  logDir: string;
  temporalServer: Restartable;
  postgres: Postgres;
  workers: Restartable[];
  servers: Array<Restartable & { apiUrl: string; webhookUrl: string }>;
  /** Stops everything that started, in reverse order. */
  stop(): Promise<void>;
}

/** Starts every part in order; on a failure, stops what had started and throws. */
export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const { dataDir, ports, say } = options;
  const checkpoint = options.checkpoint ?? (() => undefined);
  const onUnexpectedExit = options.onUnexpectedExit ?? (() => undefined);
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const address = `127.0.0.1:${ports.frontend}`;
  const stack: Array<() => Promise<void> | void> = [];
  const stop = async (): Promise<void> => {
    for (const step of stack.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        say(`stopping: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  const tracked = (start: () => ManagedProcess) => () => {
    const started = start();
    options.onChild?.(started.child.pid);
    return started;
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
    stack.push(() => {
      if (postgres.isRunning()) postgres.stop();
    });
    say(`PostgreSQL       127.0.0.1:${ports.postgres}  (data ${join(dataDir, 'postgres')})`);
    const database = { port: ports.postgres, user: DATABASE_USER, password: postgres.password };
    setUpSchemas(tools, database);

    const configFile = writeServerConfig(join(dataDir, 'temporal'), ports, certs, database);
    checkpoint();
    const waitForServer = (server: ManagedProcess) =>
      waitUntilServing(address, certs, server, (seconds) => {
        if (seconds % 10 === 0) say(`  waiting for the Temporal server on ${address} ... ${seconds}s`);
      });
    const server = restartable({
      start: tracked(() =>
        startTemporalServer(tools, configFile, join(logDir, 'temporal-server.log'), onUnexpectedExit),
      ),
      afterStart: waitForServer,
      supervise: true,
      stopGraceMs: 20_000,
      say,
    });
    stack.push(() => server.stop());
    // Already started: waits for it to serve.
    await server.start();
    checkpoint();
    await ensureNamespace(address, certs);
    checkpoint();

    const uiUrl = options.uiPort === undefined ? undefined : `http://127.0.0.1:${options.uiPort}`;
    if (options.uiPort !== undefined && uiUrl !== undefined) {
      const binary = await ensureTemporalUi(join(PROJECT_ROOT, '.tools'), say);
      const root = join(dataDir, 'ui');
      writeUiConfig(root, { address, port: options.uiPort, certs });
      const ui = restartable({
        start: tracked(() =>
          startTemporalUi(binary, root, join(logDir, 'temporal-ui.log'), onUnexpectedExit),
        ),
        afterStart: (started) => waitForUi(uiUrl, started),
        supervise: true,
        say,
      });
      stack.push(() => ui.stop());
      await ui.start();
      checkpoint();
    }

    const node = ensureProductionNode();
    say(`Node ${node.version} for the workers and HTTP servers (the production image's runtime)`);
    const sandbox = await startSandbox({
      ...options.sandbox,
      keyDir: join(dataDir, 'sandbox'),
      port: options.sandboxPort,
    });
    stack.push(() => sandbox.close());
    const development = ensureDevelopmentKey(dataDir);
    const notifyUrl = `http://127.0.0.1:${options.servers[0]!.webhook}/alipay/notify`;
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
      ...options.env,
    };
    const nodeProcess = (
      name: string,
      script: string,
      env: NodeJS.ProcessEnv,
      afterStart?: (started: ManagedProcess) => Promise<void>,
    ): Restartable => {
      const started = restartable({
        start: tracked(() =>
          startProcess({
            name,
            command: node.path,
            args: ['--import', 'tsx', script],
            cwd: PROJECT_ROOT,
            env: { ...common, ...env },
            logFile: join(logDir, `${name}.log`),
            onUnexpectedExit,
          }),
        ),
        afterStart,
        supervise: true,
        say,
      });
      stack.push(() => started.stop());
      return started;
    };
    // Each worker gives Alipay another server's webhook for the refunds it sends: both webhooks
    // take notifications (in production one address behind the load balancer).
    const workers = options.workers.map((worker, index) => {
      const webhook = options.servers[index % options.servers.length]!.webhook;
      return nodeProcess(worker.name, 'worker/main.ts', {
        WORKER_METRICS_ADDRESS: `127.0.0.1:${worker.metrics}`,
        ALIPAY_NOTIFY_URL: `http://127.0.0.1:${webhook}/alipay/notify`,
      });
    });
    const servers = options.servers.map((http) => ({
      ...nodeProcess(
        http.name,
        'client/main.ts',
        { HTTP_PORT: String(http.api), WEBHOOK_PORT: String(http.webhook) },
        // Started again, it counts as started once both listeners answer.
        (started) => waitForHealth([http.api, http.webhook], () => started.running()),
      ),
      apiUrl: `http://127.0.0.1:${http.api}`,
      webhookUrl: `http://127.0.0.1:${http.webhook}`,
    }));
    await waitForHealth(options.servers.flatMap((http) => [http.api, http.webhook]));

    return {
      address,
      certs,
      security: readTemporalSecurity(clientTlsEnv(certs)),
      sandbox,
      apiKey: { keysFile: development.keysFile, tokenFile: development.tokenFile },
      notifyUrl,
      uiUrl,
      logDir,
      temporalServer: server,
      postgres,
      workers,
      servers,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits until every port answers `/healthz`; rejects when `alive` says the process has exited. */
export async function waitForHealth(
  ports: number[],
  alive: () => boolean = () => true,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      if (!alive()) throw new Error(`the process serving port ${port} exited before it was healthy`);
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
