import { Worker, type NativeConnection } from '@temporalio/worker';
import { workflowSource } from './workflow-source';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
}

export function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    ...workflowSource(),
    // Let running activities finish after SIGTERM before the worker gives up on them.
    shutdownGraceTime: '30s',
  });
}
