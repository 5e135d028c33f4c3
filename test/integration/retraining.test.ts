import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { expect } from 'chai';
import { startRetrainCheck } from '../../src/cli/retrain-run';
import {
  createRetrainSchedule,
  describeRetrainSchedule,
  triggerRetrainSchedule,
} from '../../src/scheduling/retrain-schedule';
import type { AppConfig } from '../../src/config';
import { generateYear } from '../../src/data/synthetic';
import { openBlobStore } from '../../src/storage/from-uri';
import { RUN_TRIGGER } from '../../src/contracts/search-attributes';
import type { RetrainCheckResult } from '../../src/contracts';
import {
  FILE_PREFIX,
  useDevServerAndS3,
  SAMPLE_DIR,
  retrainInput,
  startTestWorkers,
  tempDir,
  testConfig,
  uploadSample,
} from '../support/pipeline-harness';

describe('retraining check (real dev server, real worker)', function () {
  this.timeout(600_000);
  const infra = useDevServerAndS3();

  for (const backend of ['s3', 'file'] as const) {
    describe(`on ${backend} storage`, () => {
      let config: AppConfig;
      let workers: Awaited<ReturnType<typeof startTestWorkers>>;
      let client: Client;
      let checks = 0;
      const check = async (): Promise<RetrainCheckResult> => {
        const handle = await startRetrainCheck(
          client,
          config,
          retrainInput(config),
          `check-${backend}-${++checks}`,
        );
        return handle.result();
      };
      const putYear = (year: number, text: string) =>
        openBlobStore(config.dataUri, config.s3).put(`${FILE_PREFIX}_${year}.csv`, text);

      before(async () => {
        config =
          backend === 's3'
            ? testConfig({
                dataUri: infra.s3.uri('retrain-data'),
                artifactsUri: infra.s3.uri('retrain-artifacts'),
                s3: infra.s3.options,
              })
            : testConfig({ dataUri: `file://${tempDir('retrain-data')}` });
        await uploadSample(config.dataUri, config);
        workers = await startTestWorkers(infra.env, config);
        client = infra.env.client as unknown as Client;
      });
      after(async () => {
        workers?.shutdown();
        await workers?.done;
      });

      it('trains exactly once on first sight of the data and commits the state', async () => {
        const result = await check();
        expect(result.decision).to.equal('new-data');
        expect(result.retrained).to.equal(true);
        expect(result.stateCommitted).to.equal(true);
        expect(result.diff.added).to.have.length(5);
        expect(result.trainingWorkflowId).to.match(/^retrain-traffic-retrain-/);
        expect(result.training?.championVersion).to.equal(1);
      });

      it('is a no-op when nothing is new', async () => {
        const result = await check();
        expect(result).to.include({ decision: 'no-new-data', retrained: false, stateCommitted: false });
        expect(result.diff.unchanged).to.have.length(5);
        expect(result.trainingWorkflowId).to.equal(undefined);
      });

      it('retrains on a new year file, validating on the newest complete year, with a drift report', async () => {
        await putYear(2017, generateYear({ year: 2017, seed: 17, hoursStep: 3 }));
        const result = await check();
        expect(result).to.include({ decision: 'new-data', retrained: true, stateCommitted: true });
        expect(result.diff.added).to.deep.equal([`${FILE_PREFIX}_2017.csv`]);
        expect(result.drift, 'drift against the champion').to.not.equal(undefined);
        expect(Object.keys(result.drift!.psi)).to.include.members(['temp', 'weather_main']);
        expect(result.drift!.decay!.ratio).to.be.greaterThan(0);
        // Live accuracy includes the champion's interval coverage on the arriving labels.
        expect(result.drift!.decay!.interval?.level).to.equal(0.9);
        expect(result.drift!.decay!.interval?.coverage).to.be.greaterThan(0).and.at.most(1);
        const training = await client.workflow.getHandle(result.trainingWorkflowId!).describe();
        expect(training.memo).to.include({ validationYear: 2017 });
        const report = await openBlobStore(config.artifactsUri, config.s3).get(result.drift!.reportRef);
        expect(JSON.parse(report.toString()).drift.features.length).to.be.greaterThan(4);
        // The retraining run's report shows the drift that triggered it.
        const runReport = await openBlobStore(config.artifactsUri, config.s3).get(
          String(training.memo?.reportRef),
        );
        expect(runReport.toString()).to.contain('data-chart="drift"');
      });

      it('retrains when an existing key gets new content', async () => {
        await putYear(2017, generateYear({ year: 2017, seed: 99, hoursStep: 3 }));
        const result = await check();
        expect(result).to.include({ decision: 'changed-data', retrained: true, stateCommitted: true });
        expect(result.diff.changed).to.deep.equal([`${FILE_PREFIX}_2017.csv`]);
      });

      it('leaves the state uncommitted when training fails, so the next check retries', async () => {
        const good = generateYear({ year: 2015, seed: 15, hoursStep: 3 });
        await putYear(2015, good.replace(/^holiday,temp,/, 'holiday,temperature,'));
        const failure = async () => {
          const err = await check().then(
            () => undefined,
            (e: Error) => e,
          );
          expect(err, 'the check fails with its training').to.be.instanceOf(Error);
          const chain: string[] = [];
          for (let e: unknown = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause)
            chain.push(e.message);
          // The check reads every file first: an unreadable one fails the check before any training starts.
          expect(chain.join(' | '))
            .to.contain('cannot read 1 data file(s)')
            .and.contain('missing column(s) temp');
        };
        await failure();
        // Nothing was committed, so the same state is tried again rather than skipped as seen.
        await failure();
        await putYear(2015, good);
        const retry = await check();
        expect(retry).to.include({ decision: 'changed-data', retrained: true, stateCommitted: true });
        expect(retry.diff.changed).to.deep.equal([`${FILE_PREFIX}_2015.csv`]);
      });

      it('starts one training when two checks of the same new state run at once', async () => {
        await putYear(2019, generateYear({ year: 2019, seed: 19, hoursStep: 3 }));
        const results = await Promise.all([check(), check()]);
        expect(results.filter((r) => r.retrained)).to.have.length(1);
        const other = results.find((r) => !r.retrained)!;
        expect(['already-training', 'no-new-data']).to.include(other.decision);
        const after = await check();
        expect(after.decision).to.equal('no-new-data');
      });
    });
  }

  it('runs the check from a paused schedule when triggered', async () => {
    const config = testConfig({ dataUri: `file://${tempDir('schedule-data')}` });
    fs.copyFileSync(
      path.join(SAMPLE_DIR, `${FILE_PREFIX}_2016.csv`),
      path.join(config.dataUri.slice(7), `${FILE_PREFIX}_2016.csv`),
    );
    fs.copyFileSync(
      path.join(SAMPLE_DIR, `${FILE_PREFIX}_2015.csv`),
      path.join(config.dataUri.slice(7), `${FILE_PREFIX}_2015.csv`),
    );
    const workers = await startTestWorkers(infra.env, config);
    const client = infra.env.client as unknown as Client;
    try {
      await createRetrainSchedule({
        client,
        scheduleId: 'retrain-test-schedule',
        taskQueue: config.taskQueue,
        trialTaskQueue: config.trialTaskQueue,
        input: retrainInput(config),
        paused: true,
      });
      await triggerRetrainSchedule({ client, scheduleId: 'retrain-test-schedule' });
      let workflowId: string | undefined;
      for (let i = 0; i < 100 && !workflowId; i++) {
        workflowId = (await describeRetrainSchedule({ client, scheduleId: 'retrain-test-schedule' }))
          .recentActions[0]?.workflowId;
        if (!workflowId) await new Promise((r) => setTimeout(r, 200));
      }
      expect(workflowId).to.match(/^retrain-check-retrain-test-schedule/);
      const result = (await client.workflow.getHandle(workflowId!).result()) as RetrainCheckResult;
      expect(result).to.include({ decision: 'new-data', retrained: true });
      const described = await client.workflow.getHandle(workflowId!).describe();
      expect(described.typedSearchAttributes.get(RUN_TRIGGER)).to.equal('schedule');
    } finally {
      await client.schedule
        .getHandle('retrain-test-schedule')
        .delete()
        .catch(() => undefined);
      workers.shutdown();
      await workers.done;
    }
  });
});
