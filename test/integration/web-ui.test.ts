import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import {
  createRetrainSchedule,
  describeRetrainSchedule,
  triggerRetrainSchedule,
} from '../../src/scheduling/retrain-schedule';
import type { RetrainCheckResult } from '../../src/contracts';
import { launchBrowser } from '../support/browser';
import {
  FILE_PREFIX,
  SAMPLE_DIR,
  retrainInput,
  startTestWorkers,
  tempDir,
  testConfig,
} from '../support/pipeline-harness';
import { devServerEnv, freePort } from '../support/temporal';

const SCREENSHOTS = path.resolve(__dirname, '../../../.test-output');
const SCHEDULE_ID = 'ui-test-retrain';

describe('Temporal Web UI shows the schedule and the training it started (Chromium)', function () {
  this.timeout(300_000);
  let env: TestWorkflowEnvironment;
  let browser: Browser;
  let ui: string;

  before(async () => {
    const uiPort = await freePort();
    ui = `http://127.0.0.1:${uiPort}`;
    [env, browser] = await Promise.all([devServerEnv({ uiPort }), launchBrowser()]);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await env?.teardown();
  });

  it('lists the schedule and finds the scheduled check and its training by search attribute', async () => {
    const dataDir = tempDir('ui-data');
    for (const year of [2015, 2016]) {
      fs.copyFileSync(
        path.join(SAMPLE_DIR, `${FILE_PREFIX}_${year}.csv`),
        path.join(dataDir, `${FILE_PREFIX}_${year}.csv`),
      );
    }
    const config = testConfig({ dataUri: `file://${dataDir}` });
    const workers = await startTestWorkers(env, config);
    const client = env.client as unknown as Client;
    let trainingId: string;
    try {
      await createRetrainSchedule({
        client,
        scheduleId: SCHEDULE_ID,
        taskQueue: config.taskQueue,
        trialTaskQueue: config.trialTaskQueue,
        paused: true,
        input: { ...retrainInput(config, 'traffic-ui'), trigger: 'schedule' },
      });
      await triggerRetrainSchedule({ client, scheduleId: SCHEDULE_ID });
      let checkId: string | undefined;
      for (let i = 0; i < 100 && !checkId; i++) {
        checkId = (await describeRetrainSchedule({ client, scheduleId: SCHEDULE_ID })).recentActions[0]
          ?.workflowId;
        if (!checkId) await new Promise((r) => setTimeout(r, 200));
      }
      const result = (await client.workflow.getHandle(checkId!).result()) as RetrainCheckResult;
      expect(result.retrained).to.equal(true);
      trainingId = result.trainingWorkflowId!;
    } finally {
      workers.shutdown();
      await workers.done;
    }

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${ui}/namespaces/default/schedules`);
    await page.getByText(SCHEDULE_ID).first().waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-ui-schedules.png') });

    const query = encodeURIComponent(`TrafficRunTrigger="retrain" AND TrafficModelName="traffic-ui"`);
    await page.goto(`${ui}/namespaces/default/workflows?query=${query}`);
    await page.getByText(trainingId).first().waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-ui-retrain-runs.png') });

    await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(trainingId)}`);
    await page.getByText('trainingWorkflow').first().waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-ui-training-run.png'), fullPage: true });
    for (const shot of ['web-ui-schedules.png', 'web-ui-retrain-runs.png', 'web-ui-training-run.png']) {
      expect(fs.statSync(path.join(SCREENSHOTS, shot)).size).to.be.greaterThan(10_000);
    }
  });
});
