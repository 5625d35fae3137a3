// `npm start`: the whole product on one machine. Without TEMPORAL_ADDRESS it runs the Temporal
// dev server (UI included, SQLite under .data/); without ALIPAY_GATEWAY the sandbox gateway;
// then the worker and the HTTP server, whose webhook receives the refund notifications.
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { AlipayGateway } from '../alipay/gateway';
import { payloadCodecFromEnv } from '../codec/key-files';
import { readAlipayConfig, type AlipayConfig } from '../config/alipay';
import { dataDirFrom } from '../config/data-dir';
import { localNotifyUrl, readHttpConfig, readPort, readTemporalConfig } from '../config/env';
import { ConfigError } from '../config/errors';
import { ApiKeyStore } from '../client/http/api-key-store';
import { startListeners } from '../client/http/listeners';
import { createOrderClient } from '../client/order-client';
import { createRedPacketClient } from '../client/red-packet-client';
import { connectClient } from '../client/temporal-connection';
import { startSandbox } from '../sandbox/server';
import { connectTemporal } from '../config/temporal-connection';
import { startTracing } from '../tracing/setup';
import { createWorkers } from '../worker/create-worker';
import { keepReconciliationSchedule, readReconcileCron } from '../client/reconciliation-schedule';
import { ensureDevelopmentKey } from './development-key';
import { startDevServer, type RunningDevServer } from './dev-server';
import { resolveTemporalCli } from './temporal-binaries';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function startEmbeddedTemporal(
  namespace: string,
  dataDir: string,
  uiCodecEndpoint: string | undefined,
): Promise<RunningDevServer> {
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
    uiCodecEndpoint,
    onWaiting: (seconds) => say(`  waiting for Temporal on 127.0.0.1:${port} ... ${seconds}s`),
  });
  say(`Temporal dev server ready at ${server.address}`);
  return server;
}

async function main(): Promise<void> {
  const temporalConfig = readTemporalConfig();
  const httpConfig = readHttpConfig();
  const realAlipay = readAlipayConfig();
  const sandboxPort = readPort(process.env, 'SANDBOX_PORT', 8090);
  const dataDir = dataDirFrom();
  const ownNotifyUrl = localNotifyUrl(httpConfig.webhook);
  const payloadCodec = payloadCodecFromEnv();
  const reconcileCron = readReconcileCron(process.env);
  const developmentKey = httpConfig.apiKeysFile ? undefined : ensureDevelopmentKey(dataDir);
  const keys = new ApiKeyStore(httpConfig.apiKeysFile ?? developmentKey!.keysFile, {
    onReloadError: (problem) => say(`warning: ${problem}`),
  });
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });

  const stack: Array<() => Promise<void>> = [async () => keys.close()];
  const shutdown = async (): Promise<void> => {
    for (const step of stack.reverse())
      await step().catch((error: unknown) => say(`shutdown: ${String(error)}`));
  };

  try {
    const devServer = temporalConfig.address
      ? undefined
      : await startEmbeddedTemporal(
          temporalConfig.namespace,
          dataDir,
          payloadCodec && `http://localhost:${httpConfig.api.port}/codec`,
        );
    if (devServer) stack.push(() => devServer.stop());
    const address = temporalConfig.address ?? devServer!.address;

    let alipay: AlipayConfig;
    let sandboxUrl: string | undefined;
    if (realAlipay) {
      alipay = realAlipay;
    } else {
      const sandbox = await startSandbox({
        keyDir: join(dataDir, 'sandbox'),
        appId: process.env.SANDBOX_APP_ID?.trim() || undefined,
        port: sandboxPort,
      });
      stack.push(() => sandbox.close());
      sandboxUrl = sandbox.url;
      const keys = sandbox.keys;
      alipay = {
        gateway: sandbox.gatewayUrl,
        appId: keys.appId,
        privateKey: keys.appPrivateKey,
        alipayPublicKey: keys.alipayPublicKey,
      };
    }
    const notifyUrl = alipay.notifyUrl ?? ownNotifyUrl;

    const tracing = startTracing('red-packets');
    if (tracing) stack.push(() => tracing.shutdown());
    const temporal = await connectClient(
      address,
      temporalConfig.namespace,
      payloadCodec,
      undefined,
      tracing !== undefined,
    );
    stack.push(() => temporal.connection.close());

    say('Bundling workflows and starting the worker ...');
    const gateway = new AlipayGateway({ ...alipay, traced: tracing !== undefined });
    stack.push(() => gateway.close());
    const workerConnection = await connectTemporal(address);
    stack.push(() => workerConnection.close());
    const workers = await createWorkers({
      connection: workerConnection,
      ...temporalConfig,
      gateway,
      notifyUrl,
      payloadCodec,
      tracing,
    });
    const workersRun = workers.run();
    stack.push(async () => {
      workers.shutdown();
      await workersRun;
    });
    let schedule = '';
    await keepReconciliationSchedule(
      temporal,
      { taskQueue: temporalConfig.taskQueue, cron: reconcileCron },
      (line) => (schedule ? say(line) : (schedule = line)),
    );

    const listeners = await startListeners({
      config: httpConfig,
      temporal,
      packets: createRedPacketClient(temporal, temporalConfig.taskQueue, { traced: tracing !== undefined }),
      orders: createOrderClient(temporal, temporalConfig.taskQueue),
      alipay: { appId: alipay.appId, alipayPublicKey: alipay.alipayPublicKey },
      keys,
      settings: { notifyUrl, refundNotifyWaitMs: httpConfig.refundNotifyWaitMs },
      packetCounts: { taskQueue: temporalConfig.taskQueue },
      tracing: tracing !== undefined,
      codec: payloadCodec && {
        codec: payloadCodec,
        allowedOrigin: devServer?.uiUrl ?? 'http://localhost:8233',
      },
    });
    stack.push(() => listeners.close());

    say('');
    say('Red packets is running:');
    if (listeners.api) {
      say(
        `  HTTP API        ${listeners.api.url}  (health: /healthz, metrics: /metrics; Authorization: Bearer <key>)`,
      );
      say(
        developmentKey
          ? `  API key         ${developmentKey.tokenFile}  (development key, every scope${developmentKey.created ? ', new' : ''})`
          : `  API keys        ${httpConfig.apiKeysFile}`,
      );
    }
    if (listeners.webhook) say(`  Alipay webhook  ${listeners.webhook.url}/alipay/notify`);
    if (notifyUrl !== ownNotifyUrl) say(`  Alipay notifies ${notifyUrl}`);
    if (sandboxUrl) {
      say(`  Alipay sandbox  ${sandboxUrl}/gateway.do  (ledger: ${sandboxUrl}/sandbox/packets/<authNo>)`);
    } else {
      say(`  Alipay          ${alipay.gateway}${alipay.certificates ? ' (certificate mode)' : ''}`);
    }
    say(
      `  Temporal        ${address}  namespace ${temporalConfig.namespace}, task queue ${temporalConfig.taskQueue}`,
    );
    if (devServer)
      say(`  Temporal UI     ${devServer.uiUrl}/namespaces/${temporalConfig.namespace}/workflows`);
    say(
      `  Reconciliation  ${schedule}` +
        (devServer ? ` (${devServer.uiUrl}/namespaces/${temporalConfig.namespace}/schedules)` : ''),
    );
    say('Try it: npm run redpacket -- demo    Press Ctrl-C to stop.');
  } catch (error) {
    await shutdown();
    throw error;
  }

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      say(`\n${signal}: stopping the HTTP server, the worker, the sandbox and Temporal ...`);
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
