import { describe, expect, it } from 'vitest';
import { readHttpConfig, readTemporalConfig } from '../config/env';

describe('environment config', () => {
  it('applies the documented defaults', () => {
    expect(readTemporalConfig({})).toEqual({
      address: undefined,
      namespace: 'default',
      taskQueue: 'red-packets',
    });
    expect(readHttpConfig({}).port).toBe(3000);
  });

  it('reads explicit values', () => {
    const config = readTemporalConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'payments',
      TEMPORAL_TASK_QUEUE: 'rp',
    });
    expect(config).toEqual({ address: 'temporal.internal:7233', namespace: 'payments', taskQueue: 'rp' });
  });

  it.each(['0', '65536', '3000x', '-1', '1e3'])('rejects HTTP_PORT=%s naming the variable', (port) => {
    expect(() => readHttpConfig({ HTTP_PORT: port })).toThrow(/^HTTP_PORT: expected a port number/);
  });

  it('rejects a TEMPORAL_ADDRESS that is not host:port', () => {
    expect(() => readTemporalConfig({ TEMPORAL_ADDRESS: 'http://x:7233' })).toThrow(/^TEMPORAL_ADDRESS:/);
  });
});
