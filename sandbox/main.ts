// `npm run sandbox -- --port 8090`: the sandbox gateway on its own.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readPort } from '../config/env';
import { validateFaultConfig } from './faults';
import { startSandbox } from './server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string', default: process.env.DATA_DIR ?? '.data' },
      'time-scale': { type: 'string', default: '1' },
      faults: { type: 'string' },
    },
  });
  const port = readPort({ SANDBOX_PORT: values.port ?? process.env.SANDBOX_PORT }, 'SANDBOX_PORT', 8090);
  const timeScale = Number(values['time-scale']);
  if (!(timeScale > 0))
    throw new Error(`--time-scale: expected a positive number, got ${values['time-scale']}`);
  const sandbox = await startSandbox({
    keyDir: join(resolve(values['data-dir']), 'sandbox'),
    appId: process.env.SANDBOX_APP_ID?.trim() || undefined,
    host: values.host,
    port,
    timeScale,
    faults: values.faults ? validateFaultConfig(JSON.parse(values.faults)) : undefined,
  });
  console.log(`Alipay sandbox gateway: ${sandbox.gatewayUrl}`);
  console.log(`  app id ${sandbox.keys.appId}, keys in ${sandbox.keys.dir}`);
  console.log(`  ledger: ${sandbox.url}/sandbox/packets/<authNo>   faults: ${sandbox.url}/sandbox/faults`);
  const stop = (): void => void sandbox.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`sandbox: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
