import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { createActivities } from '../../src/activities';
import { SHAP_CHUNK_ROWS } from '../../src/activities/run-report';
import { createTrialPool, type TrialPool } from '../../src/engines/trial-pool';
import { ModelRegistry } from '../../src/registry/model-registry';
import { openBlobStore } from '../../src/storage/from-uri';
import { SAMPLE_DIR } from '../support/data-dirs';
import { runSampleTraining, type SampleRunReport } from '../support/sample-run-report';
import { buildReportOnce } from '../support/report-workflow';
import { devServerEnv } from '../support/temporal';

const HEARTBEAT_TIMEOUT_MS = 10_000;
/** Each SHAP chunk is slowed by 30 % of the heartbeat timeout (plus its own ~2 s on a busy machine); all of them together outlast it. */
const CHUNK_DELAY_MS = 3_000;
/** Rows the report's SHAP values are computed on here. */
const SAMPLE_ROWS = 1_000;

describe('buildRunReport heartbeats per member and chunk of rows (real dev server, slowed SHAP)', function () {
  this.timeout(600_000);
  let env: TestWorkflowEnvironment;
  let artifactsDir: string;
  let sample: SampleRunReport;
  let pool: TrialPool;

  before(async function () {
    artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-heartbeat-'));
    sample = await runSampleTraining({
      dataUri: `file://${SAMPLE_DIR}`,
      artifactsUri: `file://${artifactsDir}`,
      years: [2014, 2015, 2016],
      validationYear: 2016,
      trials: 2,
      runId: 'heartbeat-run',
    });
    env = await devServerEnv();
    pool = createTrialPool({ threads: 1 });
  });

  after(async function () {
    await pool?.close();
    await env?.teardown();
    fs.rmSync(artifactsDir, { recursive: true, force: true });
  });

  it('completes with a 10 s heartbeat timeout while every SHAP chunk is slowed by 3 s (12 s in all)', async function () {
    let explainCalls = 0;
    const slowPool: TrialPool = {
      ...pool,
      explain: async (task) => {
        explainCalls++;
        await delay(CHUNK_DELAY_MS);
        return pool.explain(task);
      },
    };
    const artifacts = openBlobStore(`file://${artifactsDir}`, {});
    const activities = createActivities({
      artifacts,
      registry: new ModelRegistry(artifacts),
      openDataStore: (uri) => openBlobStore(uri, {}),
      pool: slowPool,
    });
    const taskQueue = `report-heartbeat-${Date.now()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../support/report-workflow'),
      activities: { buildRunReport: activities.buildRunReport },
    });
    const result = await worker.runUntil(
      env.client.workflow.execute(buildReportOnce, {
        taskQueue,
        workflowId: `report-heartbeat-${Date.now()}`,
        // A sample of 1,000 rows: four chunks, whatever the default sample size.
        args: [
          {
            ...sample.reportInput,
            training: { ...sample.reportInput.training, shapSampleRows: SAMPLE_ROWS },
            heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
          },
        ],
      }),
    );
    // One member (the best trial), its SHAP values on the sample, one pool thread: one chunk after another.
    const chunks = Math.ceil(Math.min(SAMPLE_ROWS, sample.validationRows) / SHAP_CHUNK_ROWS);
    expect(explainCalls).to.equal(chunks);
    // The SHAP work alone outlasted the heartbeat timeout several times over.
    expect(chunks * CHUNK_DELAY_MS).to.be.greaterThan(HEARTBEAT_TIMEOUT_MS);
    expect(result.reportRef).to.equal('reports/heartbeat-run.html');
    expect(result.shapMs).to.be.greaterThan(chunks * CHUNK_DELAY_MS - 1);
    const html = fs.readFileSync(path.join(artifactsDir, result.reportRef), 'utf8');
    expect(html).to.contain('<svg');
  });
});
