// The workflows' OpenTelemetry interceptors, acting only in the workflows started traced (memo
// `traced`, set by a client with tracing on). The choice is fixed at the start and holds for the
// workflow's life: a running workflow that gained or lost the interceptors could replay
// differently (their spans add yield points), so a worker's tracing setting never decides it.
import { interceptors as openTelemetryInterceptors } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';
import { TRACED_MEMO } from './messages';

// The memo is read at each call: interceptors are made before the workflow's memo is known.
const traced = (): boolean => workflowInfo().memo?.[TRACED_MEMO] === true;

type Next = (input: unknown) => unknown;

/** The interceptor's methods when the workflow is traced; straight to `next` otherwise. */
function whenTraced<T extends object>(interceptor: T): T {
  return new Proxy(interceptor, {
    get(target, property, receiver) {
      const method: unknown = Reflect.get(target, property, receiver);
      if (typeof method !== 'function') return method;
      return (input: unknown, next: Next) => (traced() ? method.call(target, input, next) : next(input));
    },
  });
}

export const interceptors = (): WorkflowInterceptors => {
  const openTelemetry = openTelemetryInterceptors();
  return {
    inbound: (openTelemetry.inbound ?? []).map(whenTraced),
    outbound: (openTelemetry.outbound ?? []).map(whenTraced),
    internals: (openTelemetry.internals ?? []).map(whenTraced),
  };
};
