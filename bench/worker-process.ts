// The benchmarks' worker, in its own process like a production worker: the production options
// and activities, plus the baseline workflows and their no-op activities on the same queue.
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { join } from 'node:path';
import { createActivities } from '../activities';
import { AlipayGateway } from '../alipay/gateway';
import { readAlipayConfig } from '../config/alipay';
import { workerOptions } from '../worker/create-worker';
import { connectTemporal } from '../config/temporal-connection';
import { createBaselineActivities } from './baseline-activities';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const address = process.env.TEMPORAL_ADDRESS!;
  const taskQueue = process.env.TEMPORAL_TASK_QUEUE!;
  const alipay = readAlipayConfig()!;
  const gateway = new AlipayGateway(alipay);
  const client = new Client({ connection: await Connection.connect({ address }) });
  const ignore = (): void => undefined;
  const worker = await Worker.create({
    ...workerOptions({
      connection: await connectTemporal(address),
      namespace: 'default',
      taskQueue,
      gateway,
      notifyUrl: alipay.notifyUrl,
    }),
    workflowsPath: undefined,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: join(__dirname, 'bench-workflows.ts'),
      logger: { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: console.error, log: ignore },
    }),
    activities: {
      ...createActivities(gateway, { notifyUrl: alipay.notifyUrl }),
      ...createBaselineActivities(client),
    },
  });
  console.log('bench worker ready');
  await worker.run();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
