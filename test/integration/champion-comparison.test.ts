/**
 * Issue 16's "done when" scenarios on the real data, through the real activities (prepare, trial, refit, register):
 * a champion is compared with a candidate only on labelled rows neither was fitted on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { DatasetCache } from '../../src/activities/dataset-cache';
import { assessDriftWith } from '../../src/activities/drift';
import { finalizeModelWith } from '../../src/activities/finalize-model';
import { prepareDatasetWith } from '../../src/activities/prepare';
import { recheckChallengerWith } from '../../src/activities/recheck-challenger';
import { judgeRefreshRecordWith } from '../../src/activities/refresh-record';
import { registerModelsWith } from '../../src/activities/register';
import { scoreWithVersion } from '../../src/activities/score-version';
import { runTrialWith } from '../../src/activities/trial';
import { regressionMetrics } from '../../src/evaluation/metrics';
import { dedupeRows } from '../../src/data/dedupe';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import { createTrialPool, type TrialPool } from '../../src/engines/trial-pool';
import { ModelRegistry } from '../../src/registry/model-registry';
import type { BlobStore } from '../../src/storage/blob-store';
import { openBlobStore } from '../../src/storage/from-uri';
import {
  DEFAULT_EVIDENCE,
  type PreparedDatasetSummary,
  type RegisterModelsResult,
  type SchemaInput,
} from '../../src/contracts';
import { REAL_DIR } from '../support/data-dirs';
import { tempDir } from '../support/pipeline-harness';

const PREFIX = 'Metro_Interstate_Traffic_Volume';
const SCHEMA: SchemaInput = {
  featureColumns: ['holiday', 'temp', 'rain_1h', 'snow_1h', 'clouds_all', 'weather_main'],
  dateTimeColumn: 'date_time',
  targetColumn: 'traffic_volume',
};
const PARAMS = {
  n_estimators: 150,
  max_depth: 6,
  learning_rate: 0.2,
  gamma: 0,
  reg_alpha: 0,
  reg_lambda: 1,
  subsample: 0.9,
  colsample_bytree: 0.9,
};

function act<I, O>(fn: (input: I) => Promise<O>, input: I): Promise<O> {
  return new MockActivityEnvironment().run(fn, input);
}

/** A data folder of real by-year files (links, never copies into the repo); `partial2016` keeps Jan–Jun only. */
function dataFolder(name: string, years: number[], partial2016 = false): string {
  const dir = path.join(tempDir(name), 'data');
  fs.mkdirSync(dir, { recursive: true });
  for (const year of years) {
    const file = `${PREFIX}_${year}.csv`;
    const source = path.join(REAL_DIR, file);
    if (year === 2016 && partial2016) {
      const lines = fs.readFileSync(source, 'utf8').split('\n');
      const header = lines[0];
      const firstHalf = lines.slice(1).filter((l) => /,2016-0[1-6]-\d\d /.test(l) || /^2016-0[1-6]/.test(l));
      fs.writeFileSync(path.join(dir, file), [header, ...firstHalf].join('\n') + '\n');
    } else {
      fs.symlinkSync(source, path.join(dir, file));
    }
  }
  return dir;
}

describe('champion decisions on rows neither model was fitted on (real data, issue 16)', function () {
  this.timeout(600_000);
  let pool: TrialPool;
  before(() => {
    if (!fs.existsSync(path.join(REAL_DIR, `${PREFIX}_2016.csv`))) {
      throw new Error(`the real data set is needed (DATA_DIR or ${REAL_DIR})`);
    }
    pool = createTrialPool({ threads: 1 });
  });
  after(() => pool?.close());

  /** `train --refit` as the workflow runs it: prepare, one trial, refit, register. */
  async function train(
    artifacts: BlobStore,
    registry: ModelRegistry,
    dataDir: string,
    years: number[],
    runId: string,
    params: Partial<typeof PARAMS> = {},
    minComparisonDays = DEFAULT_EVIDENCE.minComparisonDays,
  ): Promise<{ dataset: PreparedDatasetSummary; registration: RegisterModelsResult }> {
    const datasets = new DatasetCache(artifacts);
    const deps = { artifacts, datasets, pool, registry, openDataStore: (u: string) => openBlobStore(u) };
    const dataset = await act((i) => prepareDatasetWith(deps, i), {
      dataUri: `file://${dataDir}`,
      filePrefix: PREFIX,
      years,
      validationYear: years[years.length - 1],
      schema: SCHEMA,
    });
    const trial = await act((i) => runTrialWith(deps, i), {
      datasetRef: dataset.datasetRef,
      datasetHash: dataset.datasetHash,
      trialId: `${runId}-trial-000`,
      params: { ...PARAMS, ...params },
      engine: 'native' as const,
      earlyStoppingRounds: 20,
    });
    const final = await act((i) => finalizeModelWith(deps, i), {
      datasetRef: dataset.datasetRef,
      datasetHash: dataset.datasetHash,
      trials: [trial],
      refit: true,
      engine: 'native' as const,
    });
    const registration = await act((i) => registerModelsWith(deps, i), {
      modelName: 'traffic',
      trials: [final],
      dataset,
      trainingWorkflowId: runId,
      evidence: { ...DEFAULT_EVIDENCE, minComparisonDays },
    });
    return { dataset, registration };
  }

  it('2012–2016 then 2012–2015: the refitted champion is not judged on 2015, which it was fitted on', async () => {
    const dir = tempDir('champion-comparison-a');
    const artifacts = openBlobStore(`file://${path.join(dir, 'artifacts')}`);
    const registry = new ModelRegistry(artifacts);
    const data = dataFolder('champion-comparison-a-data', [2012, 2013, 2014, 2015, 2016]);

    const first = await train(artifacts, registry, data, [2012, 2013, 2014, 2015, 2016], 'run-v1');
    expect(first.registration.champion.decision).to.equal('first-champion');
    const v1 = await registry.resolve('traffic', 1);
    // Refitted on 2012–2016: fitted through the last row of 2016; selected on 2016.
    expect(v1.trainedThrough).to.equal('2016-12-31 23:00:00');
    expect(v1.selection?.from.startsWith('2016-01-01')).to.equal(true);
    expect((v1.selected?.trainedThrough ?? 'z') < '2016-01-01').to.equal(true);

    const second = await train(artifacts, registry, data, [2012, 2013, 2014, 2015], 'run-v2');
    const decision = second.registration.champion;
    const comparison = decision.comparison;
    expect(comparison, 'a comparison is recorded').to.not.equal(undefined);
    // Every 2015 validation row is on or before v1's trainedThrough: nothing is compared, the decision waits.
    expect(comparison?.rows).to.equal(0);
    expect(comparison?.champion.rmse).to.equal(null);
    expect(decision.decision).to.equal('deferred');
    expect(decision.championVersion).to.equal(1);
    expect(decision.challengerVersion).to.equal(2);
    expect((await registry.getAlias('traffic', 'champion'))?.version).to.equal(1);
    expect((await registry.getAlias('traffic', 'challenger'))?.version).to.equal(2);
    const v2 = await registry.resolve('traffic', 2);
    expect(v2.comparison?.decision).to.equal('deferred');
    expect(v2.comparison?.challenger.version).to.equal(2);
  });

  it('2012–2015 + Jan–Jun 2016, then the full 2016: compared on Jul–Dec 2016 only, with the champion’s RMSE there', async () => {
    const dir = tempDir('champion-comparison-b');
    const artifacts = openBlobStore(`file://${path.join(dir, 'artifacts')}`);
    const registry = new ModelRegistry(artifacts);
    const years = [2012, 2013, 2014, 2015, 2016];
    const partial = dataFolder('champion-comparison-b-partial', years, true);
    await train(artifacts, registry, partial, years, 'run-h1');
    const v1 = await registry.resolve('traffic', 1);
    expect(v1.trainedThrough?.startsWith('2016-06-30')).to.equal(true);

    const full = dataFolder('champion-comparison-b-full', years);
    const { registration } = await train(artifacts, registry, full, years, 'run-full');
    const comparison = registration.champion.comparison;
    expect(comparison).to.not.equal(undefined);
    expect(comparison!.from > v1.trainedThrough!).to.equal(true);
    expect(comparison!.from.startsWith('2016-07-01')).to.equal(true);

    // The champion's RMSE on July–December 2016, scored independently of the comparison.
    const file = path.join(REAL_DIR, `${PREFIX}_2016.csv`);
    const rows = dedupeRows(parseTrafficCsv({ text: fs.readFileSync(file, 'utf8'), file }).rows).filter(
      (r) => r.date_time.text >= '2016-07-01 00:00:00',
    );
    const predictions = await scoreWithVersion({ artifacts, pool }, v1, rows);
    const rmse = regressionMetrics(
      Float64Array.from(rows, (r) => r.traffic_volume as number),
      predictions,
    ).rmse;
    expect(comparison!.rows).to.equal(rows.length);
    expect(comparison!.champion.rmse).to.be.closeTo(rmse, 1e-6);
    expect(comparison!.days).to.be.greaterThan(DEFAULT_EVIDENCE.minComparisonDays);
    expect(['promoted', 'kept']).to.include(registration.champion.decision);
    expect(comparison!.reason).to.match(/interval/);

    // A standing challenger (when not promoted) is re-compared on rows newer than both: here there are none yet.
    if (registration.champion.decision === 'kept') {
      const recheck = await act(
        (i) =>
          recheckChallengerWith({ artifacts, registry, pool, openDataStore: (u) => openBlobStore(u) }, i),
        {
          modelName: 'traffic',
          dataUri: `file://${full}`,
          filePrefix: PREFIX,
          objects: years.map((year) => ({ key: `${PREFIX}_${year}.csv`, year })),
          schema: SCHEMA,
          evidence: DEFAULT_EVIDENCE,
          checkId: 'check-1',
        },
      );
      expect(recheck.outcome).to.equal('deferred');
      expect(recheck.comparison?.rows).to.equal(0);
    }
  });

  it('a challenger deferred at registration is promoted by a later check once enough newer rows beat the champion', async () => {
    const dir = tempDir('champion-comparison-c');
    const artifacts = openBlobStore(`file://${path.join(dir, 'artifacts')}`);
    const registry = new ModelRegistry(artifacts);
    const data = dataFolder('champion-comparison-c-data', [2012, 2013, 2014, 2015, 2016]);
    const deps = { artifacts, registry, pool, openDataStore: (u: string) => openBlobStore(u) };
    // v1: a deliberately weak champion (3 rounds) selected on 2014 and refitted through 2014.
    await train(artifacts, registry, data, [2012, 2013, 2014], 'run-weak', {
      n_estimators: 3,
      learning_rate: 0.1,
    });
    // v2: selected on 2015, but registration asks for more days than 2015 has: deferred, the challenger.
    const v2 = await train(artifacts, registry, data, [2012, 2013, 2014, 2015], 'run-strong', {}, 400);
    expect(v2.registration.champion.decision).to.equal('deferred');
    expect(v2.registration.champion.comparison?.reason).to.contain('at least 400');
    expect((await registry.getAlias('traffic', 'challenger'))?.version).to.equal(2);

    const check = (checkId: string, objects: number[]) =>
      act((i) => recheckChallengerWith(deps, i), {
        modelName: 'traffic',
        dataUri: `file://${data}`,
        filePrefix: PREFIX,
        objects: objects.map((year) => ({ key: `${PREFIX}_${year}.csv`, year })),
        schema: SCHEMA,
        evidence: DEFAULT_EVIDENCE,
        checkId,
      });
    // Without 2016 there is no row newer than both (v2 was refitted through 2015): the challenger keeps standing.
    const waiting = await check('check-1', [2012, 2013, 2014, 2015]);
    expect(waiting.outcome).to.equal('deferred');
    expect(waiting.comparison?.rows).to.equal(0);
    expect((await registry.getAlias('traffic', 'champion'))?.version).to.equal(1);
    // 2016 arrives: compared on 2016 only, where the 3-round champion is far worse.
    const promoted = await check('check-2', [2012, 2013, 2014, 2015, 2016]);
    expect(promoted.outcome).to.equal('promoted');
    expect(promoted.comparison?.from.startsWith('2016-01-01')).to.equal(true);
    expect(promoted.comparison?.difference.high).to.be.lessThan(0);
    const champion = await registry.getAlias('traffic', 'champion');
    expect(champion).to.include({ version: 2, by: 'retrain-check', runId: 'check-2' });
    // The promoted challenger no longer stands.
    expect((await check('check-3', [2016])).outcome).to.equal('none');
  });

  it('the refresh record promotes the newest refit when refits made before each month beat the year’s model', async () => {
    const dir = tempDir('champion-comparison-r');
    const artifacts = openBlobStore(`file://${path.join(dir, 'artifacts')}`);
    const registry = new ModelRegistry(artifacts);
    const deps = { artifacts, registry, pool, openDataStore: (u: string) => openBlobStore(u) };
    const full = dataFolder('champion-comparison-r-full', [2012, 2013, 2014, 2015, 2016]);
    const half = dataFolder('champion-comparison-r-half', [2012, 2013, 2014, 2015, 2016], true);
    // v1: a deliberately weak model fitted through 2015 (the year's model for 2016).
    await train(artifacts, registry, full, [2012, 2013, 2014, 2015], 'run-2015', {
      n_estimators: 3,
      learning_rate: 0.1,
    });
    // v2: refitted through June 2016; v3: the newest refit, through December 2016 (the check's candidate).
    await train(artifacts, registry, half, [2012, 2013, 2014, 2015, 2016], 'run-2016-06');
    const v3 = await train(artifacts, registry, full, [2012, 2013, 2014, 2015, 2016], 'run-2016-12');
    const candidateVersion = v3.registration.versions[0].version;
    expect(candidateVersion).to.equal(3);
    const championBefore = (await registry.getAlias('traffic', 'champion'))?.version;
    expect(championBefore).to.not.equal(3);

    const judge = (
      checkId: string,
      version: number,
      minComparisonDays = DEFAULT_EVIDENCE.minComparisonDays,
    ) =>
      act((i) => judgeRefreshRecordWith(deps, i), {
        modelName: 'traffic',
        dataUri: `file://${full}`,
        objects: [2012, 2013, 2014, 2015, 2016].map((year) => ({ key: `${PREFIX}_${year}.csv`, year })),
        schema: SCHEMA,
        evidence: { ...DEFAULT_EVIDENCE, minComparisonDays },
        checkId,
        candidateVersion: version,
      });
    // Only the newest refit can be promoted by the record.
    expect((await judge('check-0', 2)).outcome).to.equal('none');
    // The record: July–December 2016 (after v2's data), v2 against v1; January–June have no refit since 2015.
    const tooFew = await judge('check-1', 3, 400);
    expect(tooFew.outcome).to.equal('deferred');
    expect(tooFew.record?.pairs).to.deep.equal([
      { refit: 2, yearModel: 1, rows: tooFew.record?.rows, from: tooFew.record?.from, to: tooFew.record?.to },
    ]);
    expect(tooFew.record?.from.startsWith('2016-07-01')).to.equal(true);
    expect((await registry.getAlias('traffic', 'champion'))?.version).to.equal(championBefore);

    const judged = await judge('check-2', 3);
    expect(judged.outcome).to.equal('promoted');
    expect(judged.record?.difference.high).to.be.lessThan(0);
    expect(judged.reason).to.contain('refresh record: refitting pays').and.contain('v3, the newest refit');
    const champion = await registry.getAlias('traffic', 'champion');
    expect(champion).to.include({ version: 3, by: 'retrain-check', runId: 'check-2' });
    expect(champion?.reason).to.equal(judged.reason);
    // The record's refit RMSE is v2's on those rows, scored independently.
    const file = path.join(REAL_DIR, `${PREFIX}_2016.csv`);
    const rows = dedupeRows(parseTrafficCsv({ text: fs.readFileSync(file, 'utf8'), file }).rows).filter(
      (r) => r.date_time.text >= '2016-07-01 00:00:00',
    );
    const v2 = await registry.resolve('traffic', 2);
    const predictions = await scoreWithVersion({ artifacts, pool }, v2, rows);
    const expected = regressionMetrics(
      Float64Array.from(rows, (r) => r.traffic_volume as number),
      predictions,
    ).rmse;
    expect(judged.record?.rows).to.equal(rows.length);
    expect(judged.record?.refitsRmse).to.be.closeTo(expected, 1e-6);
    // Once the candidate is champion there is nothing left to judge.
    expect((await judge('check-3', 3)).outcome).to.equal('none');
  });

  it('decay is judged only on rows after the champion’s trainedThrough, and fires on a level shift', async () => {
    const dir = tempDir('champion-comparison-d');
    const artifacts = openBlobStore(`file://${path.join(dir, 'artifacts')}`);
    const registry = new ModelRegistry(artifacts);
    const years = [2012, 2013, 2014, 2015, 2016];
    const partial = dataFolder('champion-comparison-d-partial', years, true);
    await train(artifacts, registry, partial, years, 'run-h1');
    const v1 = await registry.resolve('traffic', 1);
    // The full 2016 file, and the same with traffic 40 % higher from July on (a level shift).
    const full = dataFolder('champion-comparison-d-full', years);
    const shifted = dataFolder('champion-comparison-d-shift', [2015]);
    const source = fs.readFileSync(path.join(REAL_DIR, `${PREFIX}_2016.csv`), 'utf8').split('\n');
    const raised = source.map((line, i) => {
      if (i === 0 || !/,2016-(0[7-9]|1[0-2])-/.test(line)) return line;
      const cells = line.split(',');
      cells[cells.length - 1] = String(Math.round(Number(cells[cells.length - 1]) * 1.4));
      return cells.join(',');
    });
    fs.writeFileSync(path.join(shifted, `${PREFIX}_2016.csv`), raised.join('\n'));
    const drift = (dataDir: string, checkId: string, decayRatio = 1.25, minComparisonDays = 14) =>
      act((i) => assessDriftWith({ artifacts, registry, pool, openDataStore: (u) => openBlobStore(u) }, i), {
        dataUri: `file://${dataDir}`,
        keys: [`${PREFIX}_2016.csv`],
        modelName: 'traffic',
        psiThreshold: 0.2,
        checkId,
        schema: SCHEMA,
        evidence: { ...DEFAULT_EVIDENCE, minComparisonDays },
        decayRatio,
      });
    const steady = await drift(full, 'check-steady');
    expect(steady?.decay?.from?.startsWith('2016-07-01')).to.equal(true);
    expect((steady?.decay?.from ?? '') > (v1.trainedThrough ?? '~')).to.equal(true);
    expect(steady?.decay?.expectedFrom).to.equal('validation');
    expect(steady?.decay?.expectedRmse).to.equal(v1.metrics.rmse);
    // On the real data the champion's July–December 2016 RMSE is well above its January–June validation RMSE
    // (about 1.6×): with the default ratio 1.25 that is decay; a ratio above the interval is not.
    expect(steady?.decay?.verdict).to.equal('decayed');
    expect(steady?.decay?.low).to.be.greaterThan(1.25);
    const tolerant = await drift(full, 'check-tolerant', (steady?.decay?.high as number) + 0.1);
    expect(tolerant?.decay?.verdict).to.equal('not-decayed');
    // A 40 % level shift from July on moves the whole interval up.
    const moved = await drift(shifted, 'check-shift');
    expect(moved?.decay?.verdict).to.equal('decayed');
    expect(moved?.decay?.rows).to.equal(steady?.decay?.rows);
    expect(moved?.decay?.low).to.be.greaterThan(steady?.decay?.high as number);
    // Too few days after trainedThrough: no verdict either way.
    const early = await drift(full, 'check-early', 1.25, 400);
    expect(early?.decay?.verdict).to.equal('too-few-days');
  });
});
