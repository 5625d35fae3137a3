// The workflows' OpenTelemetry interceptors, acting only in the workflows started traced (memo
// `traced`, set by a client with tracing on). The choice is fixed at the start and holds for the
// workflow's life: a running workflow that gained or lost the interceptors could replay
// differently (their spans add yield points), so a worker's tracing setting never decides it.
// An untraced workflow never builds them: each call goes straight on.
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';
import { TRACED_MEMO } from './messages';

// The memo is read at each call: interceptors are made before the workflow's memo is known.
const traced = (): boolean => workflowInfo().memo?.[TRACED_MEMO] === true;

type Next = (input: unknown) => unknown;
type Method = (input: unknown, next: Next) => unknown;

/** Each method of the interceptor class: the interceptor's (made on first use) when traced, else `next`. */
function whenTraced<T extends object>(Interceptor: new () => T): T {
  let made: T | undefined;
  const wrapper: Record<string, Method> = {};
  for (const name of Object.getOwnPropertyNames(Interceptor.prototype)) {
    if (name === 'constructor') continue;
    wrapper[name] = (input, next) => {
      if (!traced()) return next(input);
      made ??= new Interceptor();
      return (made as unknown as Record<string, Method>)[name]!.call(made, input, next);
    };
  }
  return wrapper as unknown as T;
}

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [whenTraced(OpenTelemetryInboundInterceptor)],
  outbound: [whenTraced(OpenTelemetryOutboundInterceptor)],
  internals: [whenTraced(OpenTelemetryInternalsInterceptor)],
});
