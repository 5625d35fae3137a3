import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AUTH_NO, RED_PACKET_STATUS } from '../workflows/messages';
import { connectToDevServer, createTimeSkippingEnv, type DevServerHandles } from './harness/temporal';
import { sharedWorkflowBundle } from './harness/workflow-bundle';
import { finishSignal, smokeWorkflow } from './fixtures/smoke-workflows';

const workflowsPath = join(__dirname, 'fixtures', 'smoke-workflows.ts');

describe('time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(() => env?.teardown());

  it('skips a 24-hour timer and records search attributes', async () => {
    const taskQueue = `smoke-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await sharedWorkflowBundle(workflowsPath),
    });
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(smokeWorkflow, {
        taskQueue,
        workflowId: `smoke-${randomUUID()}`,
        args: ['AUTH-TS-1'],
      });
      const outcome = await handle.result();
      const description = await handle.describe();
      return { outcome, attributes: description.typedSearchAttributes };
    });
    expect(result.outcome).toBe('expired');
    expect(result.attributes.get(AUTH_NO)).toBe('AUTH-TS-1');
    expect(result.attributes.get(RED_PACKET_STATUS)).toBe('COMPLETED');
  });
});

describe('dev server', () => {
  let temporal: DevServerHandles;
  beforeAll(async () => {
    temporal = await connectToDevServer();
  });
  afterAll(() => temporal?.close());

  it('runs a workflow to completion by signal and finds it by AuthNo', async () => {
    const taskQueue = `smoke-${randomUUID()}`;
    const authNo = `AUTH-DEV-${randomUUID()}`;
    const worker = await Worker.create({
      connection: temporal.nativeConnection,
      taskQueue,
      workflowBundle: await sharedWorkflowBundle(workflowsPath),
    });
    const outcome = await worker.runUntil(async () => {
      const handle = await temporal.client.workflow.start(smokeWorkflow, {
        taskQueue,
        workflowId: `smoke-${randomUUID()}`,
        args: [authNo],
      });
      await handle.signal(finishSignal);
      return handle.result();
    });
    expect(outcome).toBe('signalled');

    // Visibility is eventually consistent on the dev server: poll briefly.
    let found = 0;
    for (let attempt = 0; attempt < 50 && found === 0; attempt++) {
      const { count } = await temporal.client.workflow.count(
        `AuthNo = "${authNo}" AND RedPacketStatus = "COMPLETED"`,
      );
      found = count;
      if (found === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(found).toBe(1);
  });
});
