// Temporal goes down while Alipay notifies: the webhook answers 5xx `fail`, Alipay retries, and
// once Temporal is back the same notification is delivered. Nothing is lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer, type RunningDevServer } from '../../embedded/dev-server';
import { eventually } from '../helpers/lifecycle-env';
import { startHttpEnv, type HttpEnv } from '../helpers/http-env';
import { restartableDevServerOptions } from '../helpers/restartable-dev-server';

const dir = mkdtempSync(join(tmpdir(), 'outage-'));
let options: Parameters<typeof startDevServer>[0];
let server: RunningDevServer;
let nativeConnection: NativeConnection;
let env: HttpEnv;

beforeAll(async () => {
  options = await restartableDevServerOptions(dir);
  server = await startDevServer(options);
  nativeConnection = await NativeConnection.connect({ address: server.address });
  env = await startHttpEnv(nativeConnection, { sandbox: { timeScale: 0.001 } });
});

afterAll(async () => {
  await env?.close();
  await nativeConnection?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Temporal outage during a notification', () => {
  it('answers 5xx while Temporal is down and delivers the same notification after it is back', async () => {
    const { authNo, status } = await env.openPacket({ amount: '5.00', split: 'claimant', ttlSeconds: 3600 });
    expect(status).toBe(201);
    await env.request('POST', `/red-packets/${authNo}/claims`, {
      claimId: 'c',
      payeeUserId: '2088000000000005',
      amount: '2.00',
    });
    await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => (response.json.claims as Array<{ status: string }>)[0]?.status === 'PAID',
    );

    await server.stop();
    // Alipay refunds the balance itself and notifies our webhook while Temporal is down.
    await fetch(`${env.sandbox.url}/sandbox/packets/${authNo}/expire`, { method: 'POST' });
    const failed = await eventually(
      async () => env.sandbox.notifier.history().filter((delivery) => delivery.answer !== 'success'),
      (deliveries) => deliveries.length > 0,
      30_000,
    );
    expect(failed[0]!.answer).toMatch(/^HTTP 503/);
    const notifyId = failed[0]!.notifyId;

    server = await startDevServer(options);
    const final = await eventually(
      () => env.request('GET', `/red-packets/${authNo}`),
      (response) => response.json.status === 'COMPLETED',
      60_000,
    );
    expect(final.json).toMatchObject({
      status: 'COMPLETED',
      refunded: '3.00',
      refund: { source: 'ALIPAY_TIMEOUT', status: 'SUCCESS' },
    });
    const succeeded = env.sandbox.notifier
      .history()
      .filter((delivery) => delivery.notifyId === notifyId && delivery.answer === 'success');
    expect(succeeded).toHaveLength(1);
    expect(env.sandbox.ledger.packet(authNo)).toMatchObject({ disbursed: 200, refunded: 300, balance: 0 });
  }, 120_000);
});
