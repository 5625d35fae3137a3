// Worker logs at WARN and above, the SDK core's own at ERROR (the outage tests make it retry
// loudly on purpose), so test output shows what matters.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
});
