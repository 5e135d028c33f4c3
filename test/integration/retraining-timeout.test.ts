/**
 * Issue 7, failure mode 12: with no worker polling the trial queue, a retraining check must not hang (with
 * overlap SKIP it would block every later scheduled check). Its training fails at --training-timeout and the
 * check fails with it, committing nothing. Real dev server and worker; the clock is real (one minute).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { startRetrainCheck } from '../../src/cli/retrain-run';
import { createWorkers } from '../../src/runtime/workers';
import { openBlobStore } from '../../src/storage/from-uri';
import { FILE_PREFIX, SAMPLE_DIR, retrainInput, tempDir, testConfig } from '../support/pipeline-harness';
import { devServerEnv } from '../support/temporal';

describe('retraining check with no trial worker (real dev server)', function () {
  this.timeout(240_000);
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await devServerEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  it('fails at the training timeout instead of hanging, and commits no state (12)', async () => {
    const config = testConfig({ dataUri: `file://${tempDir('retrain-timeout-data')}` });
    for (const year of [2015, 2016]) {
      const name = `${FILE_PREFIX}_${year}.csv`;
      fs.copyFileSync(path.join(SAMPLE_DIR, name), path.join(config.dataUri.slice(7), name));
    }
    // The main queue is served; nothing polls the trial queue.
    const workers = await createWorkers({ config, connection: env.nativeConnection, serveTrials: false });
    const stopped = workers.run();
    const client = env.client as unknown as Client;
    const started = Date.now();
    try {
      const handle = await startRetrainCheck(client, config, {
        ...retrainInput(config),
        trainingTimeoutMinutes: 1,
      });
      const outcome = await Promise.race([
        handle.result().then(
          () => 'succeeded',
          (err: unknown) => {
            const chain: string[] = [];
            for (let e: unknown = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause)
              chain.push(e.message);
            return chain.join(' | ');
          },
        ),
        new Promise<string>((r) => setTimeout(() => r('still running after 3 minutes'), 180_000)),
      ]);
      expect(outcome).to.match(/timed out/i);
      expect(Date.now() - started).to.be.at.least(60_000);
      const states = await openBlobStore(config.artifactsUri).list('data-state/');
      expect(states, 'no data state committed').to.deep.equal([]);
    } finally {
      workers.shutdown();
      await stopped;
    }
  });
});
