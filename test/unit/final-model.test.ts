import fs from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { SEED_EXAMPLE_ROWS } from '../../src/data/prediction-input';
import { artifactKeys } from '../../src/activities/artifact-keys';
import { DatasetCache } from '../../src/activities/dataset-cache';
import { finalizeModelWith } from '../../src/activities/finalize-model';
import { refitMemberWith } from '../../src/activities/refit-member';
import { oneYearAheadMemberWith } from '../../src/activities/one-year-ahead-member';
import { predictMatrix, scoreWithVersion } from '../../src/activities/score-version';
import { splitEarlyStopping } from '../../src/features/early-stopping-slice';
import { averagePredictions } from '../../src/engines/ensemble-model';
import { fitPipeline, transformWithPipeline, type FeatureSet } from '../../src/features/feature-pipeline';
import { targetVector } from '../../src/features/features';
import { dedupeRows } from '../../src/data/dedupe';
import { encodePreparedDataset } from '../../src/features/prepared-dataset';
import { parsePredictionRows } from '../../src/data/prediction-rows';
import { splitByYear } from '../../src/data/split';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import { createTrialPool, type TrialPool } from '../../src/engines/trial-pool';
import type { ModelVersion } from '../../src/registry/model-registry';
import { openBlobStore } from '../../src/storage/from-uri';
import type { BlobStore } from '../../src/storage/blob-store';
import type {
  IntervalMethod,
  OneYearAheadMemberResult,
  RefitMemberResult,
  TrialResult,
} from '../../src/contracts';
import { SAMPLE_DIR } from '../support/data-dirs';
import { rowTimesOf } from '../../src/features/row-times';
import { oneYearAheadResiduals } from '../../src/activities/one-year-ahead';
import { stackRows } from '../../src/features/stack-rows';
import { parseIntervalCalibration } from '../../src/evaluation/prediction-interval';
import { tempDir } from '../support/temp-dir';

const PARAMS = {
  n_estimators: 40,
  max_depth: 4,
  learning_rate: 0.3,
  gamma: 0,
  reg_alpha: 0,
  reg_lambda: 1,
  subsample: 0.8,
  colsample_bytree: 0.8,
};

/** Prepares the sample's 2014–2016 (validation 2016) as the prepare activity does, with either pipeline. */
async function prepare(artifacts: BlobStore, features: FeatureSet) {
  const rows = dedupeRows(
    [2014, 2015, 2016].flatMap(
      (y) =>
        parseTrafficCsv({
          text: fs.readFileSync(path.join(SAMPLE_DIR, `Metro_Interstate_Traffic_Volume_${y}.csv`), 'utf8'),
          file: `${y}`,
        }).rows,
    ),
  );
  const split = splitByYear({ rows, validationYear: 2016 });
  const held = splitEarlyStopping(split.train);
  const pipeline = fitPipeline({ features, rows: held.train });
  const hash = `test-${features}`;
  const encoded = encodePreparedDataset({
    meta: {
      hash,
      featureNames: pipeline.featureNames,
      pipeline,
      trainRows: held.train.length,
      validationRows: split.validation.length,
      validationYear: 2016,
      earlyStopping: held.slice,
    },
    train: transformWithPipeline(pipeline, held.train).matrix,
    trainLabels: targetVector(held.train),
    validation: transformWithPipeline(pipeline, split.validation).matrix,
    validationLabels: targetVector(split.validation),
    earlyStopping: transformWithPipeline(pipeline, held.earlyStopping).matrix,
    earlyStoppingLabels: targetVector(held.earlyStopping),
  });
  await artifacts.put(artifactKeys.datasetData(hash), encoded);
  await artifacts.put(artifactKeys.datasetPipeline(hash), JSON.stringify(pipeline));
  // As prepareDataset stores them: the final model's intervals are calibrated on these rows.
  await artifacts.put(artifactKeys.datasetValidationRows(hash), JSON.stringify(split.validation));
  // As prepareDataset stores them: the one-year-ahead calibration finds each training row's year here.
  await artifacts.put(
    artifactKeys.datasetRowTimes(hash),
    JSON.stringify(
      rowTimesOf({ train: held.train, earlyStopping: held.earlyStopping, validation: split.validation }),
    ),
  );
  return {
    hash,
    ref: artifactKeys.datasetData(hash),
    rows: held.train.length + held.earlyStopping.length + split.validation.length,
  };
}

function sampleRowsOf(year: number): number {
  const file = path.join(SAMPLE_DIR, `Metro_Interstate_Traffic_Volume_${year}.csv`);
  return dedupeRows(parseTrafficCsv({ text: fs.readFileSync(file, 'utf8'), file: `${year}` }).rows).length;
}

/** A trial whose model the search stored (every trial here). */
type StoredTrial = TrialResult & { modelRef: string };

describe('final models: refit, ensemble, and one scoring function for both', function () {
  this.timeout(120_000);
  let pool: TrialPool;
  let artifacts: BlobStore;
  let datasets: DatasetCache;
  const env = new MockActivityEnvironment();

  before(() => {
    pool = createTrialPool({ threads: 1 });
    artifacts = openBlobStore(`file://${tempDir('final-model')}`, {
      forcePathStyle: true,
    });
    datasets = new DatasetCache(artifacts);
  });
  after(() => pool.close());

  async function trial(features: FeatureSet, trialId: string, seed: number): Promise<StoredTrial> {
    const { hash, ref } = await prepare(artifacts, features);
    const data = await datasets.get(hash, ref);
    const outcome = await pool.runTrial({
      engine: 'native',
      params: { ...PARAMS, seed },
      earlyStoppingRounds: 5,
      data,
    });
    if (!outcome.model) throw new Error('the trial returned no model');
    const modelRef = artifactKeys.model(`${trialId}-${features}`, 'native');
    await artifacts.put(modelRef, Buffer.from(outcome.model));
    return {
      trialId,
      params: { ...PARAMS, seed },
      metrics: outcome.metrics,
      earlyStoppingRmse: outcome.earlyStoppingRmse,
      trainMs: 1,
      modelRef,
      rounds: outcome.rounds,
      engine: 'native',
      engineVersion: outcome.engineVersion,
    };
  }

  function versionOf(features: FeatureSet, model: StoredTrial): ModelVersion {
    return {
      modelName: 'm',
      version: 1,
      createdAt: new Date().toISOString(),
      modelRef: model.modelRef,
      pipelineRef: artifactKeys.datasetPipeline(`test-${features}`),
      engine: model.engine,
      engineVersion: model.engineVersion,
      rounds: model.rounds,
      params: model.params,
      metrics: model.metrics,
      validationYear: 2016,
      datasetHash: `test-${features}`,
      sourceObjects: [],
      trainingWorkflowId: 'wf',
      trialId: model.trialId,
      ...(model.modelFormat ? { modelFormat: model.modelFormat } : {}),
    };
  }

  it('early stopping watches the early-stopping slice; the trial is scored on the validation year', async () => {
    const t = await trial('v2', 'a', 1);
    expect(t.earlyStoppingRmse).to.be.a('number');
    expect(t.metrics.rmse).to.not.equal(t.earlyStoppingRmse);
  });

  it('ensemble: one stored model whose predictions are the mean of its members, scored through scoreWithVersion', async () => {
    const members = [await trial('v2', 'a', 1), await trial('v2', 'b', 2), await trial('v2', 'c', 3)];
    const { hash, ref } = await prepare(artifacts, 'v2');
    const ensemble = (await env.run(() =>
      finalizeModelWith(
        { artifacts, datasets, pool },
        { datasetRef: ref, datasetHash: hash, trials: members, refit: false, engine: 'native' },
      ),
    )) as StoredTrial;
    expect(ensemble.modelFormat).to.equal('ensemble');
    expect(ensemble.members).to.deep.equal(['a', 'b', 'c']);
    const rows = parsePredictionRows(SEED_EXAMPLE_ROWS);
    const together = await scoreWithVersion({ artifacts, pool }, versionOf('v2', ensemble), rows);
    const each = await Promise.all(
      members.map((m) => scoreWithVersion({ artifacts, pool }, versionOf('v2', m), rows)),
    );
    expect(Array.from(together)).to.deep.equal(Array.from(averagePredictions(each)));
    expect(each[0][0]).to.not.equal(each[1][0]);
    // Its validation metrics are the averaged members' on the validation year.
    const data = await datasets.get(hash, ref);
    const mean = averagePredictions(
      await Promise.all(members.map((m) => predictMatrix({ artifacts, pool }, m, data.validation))),
    );
    const rmse = Math.sqrt(
      mean.reduce((s, p, i) => s + (p - data.validationLabels[i]) ** 2, 0) / mean.length,
    );
    expect(ensemble.metrics.rmse).to.be.closeTo(rmse, 1e-3);
  });

  it('refit: the selected rounds, trained on the training, early-stopping and validation rows', async () => {
    const selected = await trial('v2', 'a', 1);
    const { hash, ref, rows } = await prepare(artifacts, 'v2');
    const refit = (await env.run(() =>
      finalizeModelWith(
        { artifacts, datasets, pool },
        { datasetRef: ref, datasetHash: hash, trials: [selected], refit: true, engine: 'native' },
      ),
    )) as StoredTrial;
    expect(refit.trialId).to.equal('a-refit');
    expect(refit.refit).to.deep.equal({ rounds: selected.rounds, rows });
    expect(refit.rounds).to.equal(selected.rounds);
    expect(refit.modelRef).to.not.equal(selected.modelRef);
    expect(refit.metrics).to.deep.equal(selected.metrics); // the selected model's honest score, not the refit's in-sample one
    // Its intervals come from the selected model's residuals on 2016, which the refit has seen, and (an input
    // naming no method: one-year-ahead) from trial a's parameters trained on 2014 predicting 2015.
    const calibration = parseIntervalCalibration(
      JSON.parse((await artifacts.get(refit.intervalRef!)).toString('utf8')),
    );
    expect(calibration.source).to.include({
      rows: 'validation year 2016; one year ahead: 2015',
      model: 'trial a before the refit; for 2015 the same parameters and rounds trained on the years before',
    });
    expect(calibration.residualKind).to.equal('signed');
    expect(calibration.groupBy).to.equal('daypart-working-day');
    const validationRows = (await datasets.get(hash, ref)).validationLabels.length;
    expect(calibration.source.count).to.equal(validationRows + sampleRowsOf(2015));
    // worst-year (the CLI's default): the same residuals, kept per year.
    const calibratedWith = async (intervalMethod: IntervalMethod) => {
      const model = (await env.run(() =>
        finalizeModelWith(
          { artifacts, datasets, pool },
          {
            datasetRef: ref,
            datasetHash: hash,
            trials: [selected],
            refit: true,
            engine: 'native',
            intervalMethod,
          },
        ),
      )) as StoredTrial;
      return parseIntervalCalibration(JSON.parse((await artifacts.get(model.intervalRef!)).toString('utf8')));
    };
    const worstCalibration = await calibratedWith('worst-year');
    expect(worstCalibration).to.include({ combineYears: 'worst-year', residualKind: 'signed' });
    expect(worstCalibration.source).to.deep.equal(calibration.source);
    expect(worstCalibration.residuals.all).to.deep.equal(calibration.residuals.all);
    expect(Object.keys(worstCalibration.byYear!).sort()).to.deep.equal(['2015', '2016']);
    for (const [year, rows] of [
      ['2015', sampleRowsOf(2015)],
      ['2016', validationRows],
    ] as const)
      expect(Object.values(worstCalibration.byYear![year]).flat()).to.have.length(rows);
    // The old method stays selectable: the validation year alone, absolute residuals, by hour.
    const oldCalibration = await calibratedWith('validation-year');
    expect(oldCalibration.source).to.include({
      rows: 'validation year 2016',
      model: 'trial a before the refit',
    });
    expect(oldCalibration.residualKind).to.equal(undefined);
    expect(oldCalibration.groupBy).to.equal('hour-working-day');
    expect(oldCalibration.source.count).to.equal(validationRows);
    const data = await datasets.get(hash, ref);
    const refitRmse = (await predictMatrix({ artifacts, pool }, refit, data.validation)).reduce(
      (s, p, i) => s + (p - data.validationLabels[i]) ** 2,
      0,
    );
    const selectedRmse = (await predictMatrix({ artifacts, pool }, selected, data.validation)).reduce(
      (s, p, i) => s + (p - data.validationLabels[i]) ** 2,
      0,
    );
    expect(refitRmse).to.be.lessThan(selectedRmse); // it has seen the validation year
  });

  it('one-year-ahead residuals: each later training year predicted by the trials trained on the years before it', async () => {
    const a = await trial('v2', 'a', 1);
    const b = await trial('v2', 'b', 2);
    const { hash, ref } = await prepare(artifacts, 'v2');
    const residuals = await oneYearAheadResiduals(
      { artifacts, datasets, pool },
      { datasetHash: hash, datasetRef: ref, engine: 'native' },
      [a, b],
    );
    // Training years 2014 and 2015 (2016 validates): 2015 is the one year with years before it.
    expect(residuals.years).to.deep.equal([2015]);
    expect(residuals.rows).to.have.length(sampleRowsOf(2015));
    const rows = Array.from({ length: residuals.rows.length }, (_, i) => residuals.rows.at(i));
    expect(rows.every((r) => r?.date_time.year === 2015 && r.holiday === 'None')).to.equal(true);
    expect(residuals.rows.at(rows.length)).to.equal(undefined);
    // The same as training a and b by hand on the 2014 rows alone and averaging their predictions of 2015.
    const data = await datasets.get(hash, ref);
    const all = stackRows([
      { x: data.train, y: data.trainLabels },
      { x: data.earlyStopping!, y: data.earlyStoppingLabels! },
    ]);
    const n2014 = sampleRowsOf(2014);
    const cols = all.x.cols;
    const x2014 = { data: all.x.data.slice(0, n2014 * cols), rows: n2014, cols };
    const x2015 = { data: all.x.data.slice(n2014 * cols), rows: all.x.rows - n2014, cols };
    expect(Array.from(residuals.labels)).to.deep.equal(Array.from(all.y.slice(n2014)));
    const byHand = await Promise.all(
      [a, b].map(async (t) => {
        const outcome = await pool.runTrial({
          engine: 'native',
          params: { ...t.params, n_estimators: t.rounds },
          earlyStoppingRounds: 0,
          data: {
            train: x2014,
            trainLabels: all.y.slice(0, n2014),
            validation: x2015,
            validationLabels: all.y.slice(n2014),
          },
        });
        return pool.predict({ engine: 'native', model: outcome.model!, rounds: t.rounds, x: x2015 });
      }),
    );
    expect(Array.from(residuals.predictions)).to.deep.equal(Array.from(averagePredictions(byHand)));
  });

  it('refit ensemble from refitMember and oneYearAheadMember activities (run at once): the same final model, intervals included, as in finalizeModel alone', async () => {
    const members = [await trial('v2', 'a', 1), await trial('v2', 'b', 2), await trial('v2', 'c', 3)];
    const { hash, ref, rows } = await prepare(artifacts, 'v2');
    const input = {
      datasetRef: ref,
      datasetHash: hash,
      trials: members,
      refit: true,
      engine: 'native' as const,
    };
    const deps = { artifacts, datasets, pool };
    const inFinalize = (await env.run(() => finalizeModelWith(deps, input))) as StoredTrial;
    const refitted = await Promise.all(
      members.map(
        (trial) =>
          env.run(() =>
            refitMemberWith(deps, { datasetRef: ref, datasetHash: hash, trial, engine: 'native' }),
          ) as Promise<RefitMemberResult>,
      ),
    );
    const oneYearAhead = await Promise.all(
      members.map(
        (trial) =>
          env.run(() =>
            oneYearAheadMemberWith(deps, { datasetRef: ref, datasetHash: hash, trial, engine: 'native' }),
          ) as Promise<OneYearAheadMemberResult>,
      ),
    );
    expect(refitted.map((m) => m.trialId)).to.deep.equal(['a', 'b', 'c']);
    expect(refitted.map((m) => m.rows)).to.deep.equal([rows, rows, rows]);
    expect(oneYearAhead.map((m) => [m.trialId, m.years, m.rows])).to.deep.equal(
      ['a', 'b', 'c'].map((id) => [id, [2015], sampleRowsOf(2015)]),
    );
    const fromActivities = (await env.run(() =>
      finalizeModelWith(deps, { ...input, refitted, oneYearAhead }),
    )) as StoredTrial;
    // The interval calibration is content-addressed too: the same ref, the same one-year-ahead residuals.
    expect(fromActivities.intervalRef).to.be.a('string');
    // Models are content-addressed: equal refs are equal bytes, so the members were refitted identically.
    expect(fromActivities).to.deep.equal(inFinalize);
    const ensemble = JSON.parse((await artifacts.get(fromActivities.modelRef)).toString('utf8')) as {
      members: { modelRef: string }[];
    };
    expect(ensemble.members.map((m) => m.modelRef)).to.deep.equal(refitted.map((m) => m.modelRef));
    expect(fromActivities.refit).to.deep.equal({ rounds: members[0].rounds, rows });
    // Members out of order are refused rather than averaged under the wrong trial's name.
    let refused: Error | undefined;
    await env
      .run(() => finalizeModelWith(deps, { ...input, refitted: [...refitted].reverse() }))
      .catch((err: Error) => (refused = err));
    expect(refused?.message).to.match(/refitted member 0 is c, not a/);
    const reordered = await env
      .run(() => finalizeModelWith(deps, { ...input, refitted, oneYearAhead: [...oneYearAhead].reverse() }))
      .then(
        () => undefined,
        (err: Error) => err,
      );
    expect(reordered?.message).to.match(/one-year-ahead member 0 is c, not a/);
  });

  it('v1 and v2 models both predict the seed rows through the one scoring function', async () => {
    for (const features of ['v1', 'v2'] as const) {
      const t = await trial(features, 'p', 7);
      const predictions = await scoreWithVersion(
        { artifacts, pool },
        versionOf(features, t),
        parsePredictionRows(SEED_EXAMPLE_ROWS),
      );
      expect(predictions).to.have.length(2);
      expect(predictions[0], features).to.be.greaterThan(predictions[1]); // weekday 09:00 vs Thanksgiving midnight
    }
  });
});
