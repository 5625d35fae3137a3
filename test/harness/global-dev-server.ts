// One Temporal dev server for the whole test run, shared by the integration suites.
import type { TestProject } from 'vitest/node';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../../workflows/messages';
import { devServerExecutable } from './server-executables';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: devServerExecutable(),
      searchAttributes: [...SEARCH_ATTRIBUTES],
      log: { format: 'pretty', level: 'error' },
    },
  });
  project.provide('temporalAddress', env.address);
  return () => env.teardown();
}
