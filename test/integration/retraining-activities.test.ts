/**
 * The retraining check's activities against real stores (the S3 test server with conditional writes, and a
 * file store): what the mocked workflow tests take for granted. Numbers in titles are the failure modes of
 * issue 7 (docs/retraining-failure-modes.md).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'chai';
import { createActivities } from '../../src/activities';
import { artifactKeys } from '../../src/activities/artifact-keys';
import { commitDataStateWith, inspectDataStateWith } from '../../src/activities/data-state';
import { predictWith } from '../../src/activities/predict';
import { readDataFiles } from '../../src/activities/read-data-files';
import { datasetHash, prepareDatasetWith } from '../../src/activities/prepare';
import { registerModelsWith } from '../../src/activities/register';
import { describeTrainingDataWith } from '../../src/activities/training-data';
import { generateYear } from '../../src/data/synthetic';
import { createTrialPool, type TrialPool } from '../../src/engines/trial-pool';
import { ModelRegistry } from '../../src/registry/model-registry';
import type { BlobStore } from '../../src/storage/blob-store';
import { openBlobStore } from '../../src/storage/from-uri';
import type {
  CommitDataStateInput,
  CommitDataStateResult,
  DataObject,
  DescribeTrainingDataInput,
  PrepareDatasetInput,
  SchemaInput,
} from '../../src/contracts';
import { registerSampleVersions, sampleRows } from '../support/registered-models';
import { startS3ForTests, type TestS3 } from '../support/s3-server';
import { SAMPLE_DIR, tempDir } from '../support/pipeline-harness';

const PREFIX = 'Metro_Interstate_Traffic_Volume';
const SCHEMA: SchemaInput = {
  featureColumns: ['holiday', 'temp', 'rain_1h', 'snow_1h', 'clouds_all', 'weather_main'],
  dateTimeColumn: 'date_time',
  targetColumn: 'traffic_volume',
};
const sample = (year: number) => fs.readFileSync(path.join(SAMPLE_DIR, `${PREFIX}_${year}.csv`));
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Runs an activity function as the worker would: with a Context (heartbeats, info). */
function act<I, O>(fn: (input: I) => Promise<O>, input: I): Promise<O> {
  return new MockActivityEnvironment().run(fn, input);
}

describe('retraining activities on real stores', function () {
  this.timeout(120_000);
  let s3: TestS3;
  before(async () => {
    s3 = await startS3ForTests({ conditionalWrites: true });
  });
  after(async () => {
    await s3?.stop();
  });

  for (const backend of ['s3', 'file'] as const) {
    describe(`data state on ${backend} storage`, () => {
      let artifacts: BlobStore;
      let dataUri: string;
      let deps: { artifacts: BlobStore; openDataStore(uri: string): BlobStore };
      let objects: DataObject[];

      before(async () => {
        const uri = (name: string) =>
          backend === 's3' ? s3.uri(name) : `file://${tempDir(`retraining-activities-${name}`)}`;
        artifacts = openBlobStore(uri('artifacts'), s3.options);
        dataUri = uri('data');
        const data = openBlobStore(dataUri, s3.options);
        for (const year of [2015, 2016]) await data.put(`${PREFIX}_${year}.csv`, sample(year));
        await data.put(`Other_2016.csv`, sample(2016));
        deps = { artifacts, openDataStore: (u) => openBlobStore(u, s3.options) };
        objects = (await act((i) => inspectDataStateWith(deps, i), { dataUri, filePrefix: PREFIX })).objects;
      });

      const commit = (input: Partial<CommitDataStateInput>): Promise<CommitDataStateResult> =>
        act((i: CommitDataStateInput) => commitDataStateWith(deps, i), {
          dataUri,
          objects,
          trainingWorkflowId: 'train-a',
          modelName: 'cas',
          filePrefix: PREFIX,
          expectedSeq: 0,
          ...input,
        });

      it('two concurrent commits with the same expectedSeq: exactly one wins; a retried commit of the winner is idempotent (1)', async () => {
        const results = await Promise.all([
          commit({ trainingWorkflowId: 'train-a' }),
          commit({ trainingWorkflowId: 'train-b' }),
        ]);
        const winners = results.filter((r) => r.committed === true);
        const losers = results.filter((r) => r.committed === false);
        expect(winners, JSON.stringify(results)).to.have.length(1);
        expect(losers).to.have.length(1);
        expect(losers[0].seq).to.equal(1);
        const winnerId = results[0].committed ? 'train-a' : 'train-b';
        // The same activity retried (its first attempt's response was lost): committed, nothing new written.
        const retry = await commit({ trainingWorkflowId: winnerId });
        expect(retry).to.deep.include({ committed: true, seq: 1 });
        const inspection = await act((i) => inspectDataStateWith(deps, i), {
          dataUri,
          filePrefix: PREFIX,
          modelName: 'cas',
          schema: SCHEMA,
        });
        expect(inspection.stateSeq).to.equal(1);
        expect(inspection.diff.unchanged).to.deep.equal([`${PREFIX}_2015.csv`, `${PREFIX}_2016.csv`]);
        // A check that read seq 0 and commits after another check moved the state on does not overwrite it.
        const stale = await commit({ trainingWorkflowId: 'train-c', expectedSeq: 0 });
        expect(stale).to.deep.include({ committed: false, seq: 1 });
        const entries = await artifacts.list('data-state/');
        expect(entries.filter((e) => e.key.endsWith('.json'))).to.have.length(1);
      });

      it('keys the state by model name and file prefix: two models or two prefixes on one bucket never share it (5)', async () => {
        const inspect = (modelName: string, filePrefix = PREFIX) =>
          act((i) => inspectDataStateWith(deps, i), { dataUri, filePrefix, modelName, schema: SCHEMA });
        const a = await inspect('model-a');
        expect(a.diff.added).to.have.length(2);
        await commit({ modelName: 'model-a', expectedSeq: a.stateSeq, trainingWorkflowId: 'train-model-a' });
        expect((await inspect('model-a')).diff.added, 'model-a has seen its files').to.deep.equal([]);
        const b = await inspect('model-b');
        expect(b.diff.added, 'model-b, same bucket, has seen nothing yet').to.have.length(2);
        expect(b.stateSeq).to.equal(0);
        const other = await inspect('model-a', 'Other');
        expect(other.diff.added, 'model-a on another prefix has seen nothing yet').to.deep.equal([
          'Other_2016.csv',
        ]);
      });
    });
  }

  describe('inspection with the check’s schema (file store)', () => {
    const dir = tempDir('retraining-activities-schema');
    const deps = {
      artifacts: openBlobStore(`file://${path.join(dir, 'artifacts')}`),
      openDataStore: (u: string) => openBlobStore(u),
    };
    const renamed = (year: number) =>
      sample(year)
        .toString('utf8')
        .replace(/^(.*)date_time(.*)traffic_volume/, '$1when$2volume');
    const custom: SchemaInput = { ...SCHEMA, dateTimeColumn: 'when', targetColumn: 'volume' };

    it('reads files with a custom --date-time and --target: the complete years are found, none is unreadable (7)', async () => {
      const data = path.join(dir, 'custom');
      fs.mkdirSync(data, { recursive: true });
      for (const year of [2015, 2016]) fs.writeFileSync(path.join(data, `T_${year}.csv`), renamed(year));
      const inspection = await act((i) => inspectDataStateWith(deps, i), {
        dataUri: `file://${data}`,
        filePrefix: 'T',
        modelName: 'm',
        schema: custom,
      });
      expect(inspection.completeYears).to.deep.equal([2015, 2016]);
      expect(inspection.unreadable).to.deep.equal([]);
    });

    it('names a file whose header lacks a column as unreadable, so the check can refuse it (11)', async () => {
      const data = path.join(dir, 'broken');
      fs.mkdirSync(data, { recursive: true });
      fs.writeFileSync(path.join(data, 'T_2015.csv'), sample(2015));
      fs.writeFileSync(
        path.join(data, 'T_2016.csv'),
        sample(2016)
          .toString('utf8')
          .replace(/^holiday,temp,/, 'holiday,temperature,'),
      );
      const inspection = await act((i) => inspectDataStateWith(deps, i), {
        dataUri: `file://${data}`,
        filePrefix: 'T',
        modelName: 'm',
        schema: SCHEMA,
      });
      expect(inspection.unreadable).to.have.length(1);
      expect(inspection.unreadable?.[0].key).to.equal('T_2016.csv');
      expect(inspection.unreadable?.[0].error).to.contain('missing column(s) temp');
    });

    it('drift, live accuracy and the challenger re-check take the rows the inspection parsed: the version inspected, parsed once', async () => {
      const data = path.join(dir, 'inspected');
      fs.mkdirSync(data, { recursive: true });
      const file = path.join(data, 'T_2016.csv');
      fs.writeFileSync(file, sample(2016));
      const inspection = await act((i) => inspectDataStateWith(deps, i), {
        dataUri: `file://${data}`,
        filePrefix: 'T',
        modelName: 'm',
        schema: SCHEMA,
      });
      const [object] = inspection.objects;
      const store = openBlobStore(`file://${data}`);
      const parsedCopies = fs.readdirSync(path.join(dir, 'artifacts', 'inspected'));
      expect(parsedCopies.filter((name) => name.startsWith(object.sha256 as string))).to.have.length(1);
      const inspectedRows = (
        await act((k: string) => readDataFiles({ artifacts: deps.artifacts, store }, [k], SCHEMA), object.key)
      ).rows.length;

      // The file is replaced after the inspection (half its lines): the check's readers still see what it inspected.
      const lines = sample(2016).toString('utf8').split('\n');
      fs.writeFileSync(file, lines.slice(0, Math.floor(lines.length / 2)).join('\n'));
      const byRef = await act(
        (o: typeof object) => readDataFiles({ artifacts: deps.artifacts, store }, [o], SCHEMA),
        object,
      );
      expect(byRef.fromInspection).to.equal(1);
      expect(byRef.rows).to.have.length(inspectedRows);
      // A plain key (an input from before the parsed copies) reads the file as it is now.
      const byKey = await act(
        (k: string) => readDataFiles({ artifacts: deps.artifacts, store }, [k], SCHEMA),
        object.key,
      );
      expect(byKey.fromInspection).to.equal(0);
      expect(byKey.rows.length).to.be.below(inspectedRows);
    });
  });

  describe('prepared set named by the bytes read (file store)', () => {
    const dir = tempDir('retraining-activities-prepare');
    const artifacts = openBlobStore(`file://${path.join(dir, 'artifacts')}`);
    const input = (data: string): PrepareDatasetInput => ({
      dataUri: `file://${data}`,
      filePrefix: 'T',
      years: [2015, 2016],
      validationYear: 2016,
      schema: SCHEMA,
    });
    const before2016 = sample(2016);
    const after2016 = Buffer.from(generateYear({ year: 2016, seed: 1234, hoursStep: 3 }));

    it('a file replaced after the check inspected it is refused by the ETag condition; unconditioned it is hashed, recorded and trained from the bytes read (10)', async () => {
      const data = path.join(dir, 'racy');
      fs.mkdirSync(data, { recursive: true });
      fs.writeFileSync(path.join(data, 'T_2015.csv'), sample(2015));
      fs.writeFileSync(path.join(data, 'T_2016.csv'), before2016);
      const store = openBlobStore(`file://${data}`);
      const inspected = await store.list('T_');
      // Every read goes through read(): one request for the bytes and their ETag, never a HEAD.
      let heads = 0;
      const counting = (uri: string): BlobStore => {
        const inner = openBlobStore(uri);
        return Object.assign(Object.create(inner) as BlobStore, {
          head: async (key: string) => {
            heads++;
            return inner.head(key);
          },
        });
      };
      await store.put('T_2016.csv', after2016);

      const expectedObjects = inspected.map((o) => ({ key: o.key, etag: o.etag }));
      const refused = await act(
        (i) => prepareDatasetWith({ artifacts, openDataStore: counting }, { ...i, expectedObjects }),
        input(data),
      ).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(refused, 'a changed file fails the preparation').to.be.instanceOf(ApplicationFailure);
      expect((refused as ApplicationFailure).type).to.equal('DatasetError');
      expect((refused as ApplicationFailure).nonRetryable).to.equal(true);
      expect(refused?.message).to.match(
        /^T_2016\.csv changed after the retraining check inspected it \(ETag /,
      );

      const racy = await act(
        (i) => prepareDatasetWith({ artifacts, openDataStore: counting }, i),
        input(data),
      );
      expect(heads, 'no HEAD before a read').to.equal(0);
      const source = racy.sourceObjects.find((s) => s.key === 'T_2016.csv');
      expect(source?.sha256, 'lineage records the bytes read').to.equal(sha256(after2016));
      expect(source?.size).to.equal(after2016.length);
      expect(source?.etag, 'and the ETag of those bytes').to.equal((await store.head('T_2016.csv'))?.etag);

      // The same bytes, read with nothing changing in between: the same content address, reused.
      const quiet = (uri: string) => openBlobStore(uri);
      const again = await act((i) => prepareDatasetWith({ artifacts, openDataStore: quiet }, i), input(data));
      expect(again.datasetHash).to.equal(racy.datasetHash);
      expect(again.reused).to.equal(true);
      expect(racy.validationRows).to.equal(again.validationRows);

      // The version inspected before the replacement is another data set, with another address.
      const old = path.join(dir, 'old');
      fs.mkdirSync(old, { recursive: true });
      fs.writeFileSync(path.join(old, 'T_2015.csv'), sample(2015));
      fs.writeFileSync(path.join(old, 'T_2016.csv'), before2016);
      const original = await act(
        (i) => prepareDatasetWith({ artifacts, openDataStore: quiet }, { ...i, expectedObjects }),
        input(old),
      );
      expect(original.datasetHash).to.not.equal(racy.datasetHash);
      expect(
        datasetHash(input(data), [
          { key: 'T_2015.csv', etag: 'unused', size: 0, sha256: sha256(sample(2015)) },
          { key: 'T_2016.csv', etag: 'unused', size: 0, sha256: sha256(after2016) },
        ]),
      ).to.equal(racy.datasetHash);
    });
    it('the check predicts the exact hash the training will give its prepared set, so identical data is recognised (4)', async () => {
      const data = path.join(dir, 'same');
      fs.mkdirSync(data, { recursive: true });
      fs.writeFileSync(path.join(data, 'T_2015.csv'), sample(2015));
      fs.writeFileSync(path.join(data, 'T_2016.csv'), before2016);
      const stores = { artifacts, openDataStore: (u: string) => openBlobStore(u) };
      const inspection = await act((i) => inspectDataStateWith(stores, i), {
        dataUri: `file://${data}`,
        filePrefix: 'T',
        modelName: 'm',
        schema: SCHEMA,
      });
      const described = await act(
        (i: DescribeTrainingDataInput) =>
          describeTrainingDataWith({ registry: new ModelRegistry(artifacts) }, i),
        { ...input(data), modelName: 'm', objects: inspection.objects },
      );
      const prepared = await act((i) => prepareDatasetWith(stores, i), input(data));
      expect(described.datasetHash).to.equal(prepared.datasetHash);
    });
  });

  describe('champion re-scoring and the scoring threads (file store, native engine)', () => {
    const dir = tempDir('retraining-activities-champion');
    const artifacts = openBlobStore(`file://${path.join(dir, 'artifacts')}`);
    const registry = new ModelRegistry(artifacts);
    let scoring: TrialPool;
    /** A trial pool whose threads are all taken by long trials: nothing scored on it would finish. */
    const busy = {
      predict: () => Promise.reject(new Error('scored on the busy trial pool')),
      runTrial: () => Promise.reject(new Error('no trials here')),
      close: async () => {},
    } as unknown as TrialPool;
    before(async () => {
      scoring = createTrialPool({ threads: 1 });
      // v1: recorded RMSE 100 (1000 / rounds) on validation year 2016 of data set "serve-fixture".
      await registerSampleVersions(artifacts, 'champ', [10]);
      await registry.setAlias({
        modelName: 'champ',
        alias: 'champion',
        version: 1,
        expectedSeq: undefined,
        setAt: new Date().toISOString(),
      });
    });
    after(async () => {
      await scoring?.close();
    });
    const activities = () =>
      createActivities({
        artifacts,
        registry,
        openDataStore: (u) => openBlobStore(u),
        pool: busy,
        scoringPool: scoring,
      });

    it('predict, with every trial thread busy, runs on the scoring threads (8)', async () => {
      const rows = sampleRows([2016]).slice(0, 50);
      const result = await act(activities().predict, {
        modelName: 'champ',
        version: 'champion',
        rows: rows.map((r) => ({ ...r, date_time: r.date_time.text })),
      });
      expect(result.predictions).to.have.length(50);
    });

    it('the champion is re-scored on the candidate’s validation rows, not judged by its recorded RMSE, when the validation file changed (6)', async () => {
      const rows = sampleRows([2016]);
      // The candidate's data set: same validation year, other bytes (another hash), its raw validation rows.
      await artifacts.put(artifactKeys.datasetValidationRows('candidate'), JSON.stringify(rows));
      // The champion's RMSE on these rows, scored directly on the scoring threads.
      const rescored = await act((i) => predictWith({ artifacts, registry, pool: scoring }, i), {
        modelName: 'champ',
        version: '1',
        rows: rows.map((r) => ({ ...r, date_time: r.date_time.text })),
      });
      const truth = rows.map((r) => r.traffic_volume as number);
      const rmse = Math.sqrt(
        truth.reduce((s, y, i) => s + (y - rescored.predictions[i]) ** 2, 0) / truth.length,
      );
      expect(rmse, 'precondition: v1 is worse on these rows than its record says').to.be.greaterThan(150);
      const candidateRmse = (100 + rmse) / 2;
      // The candidate as selected: a real stored model (more rounds on the same pipeline), scored row by row too.
      const [stronger] = await registerSampleVersions(artifacts, 'candidate-fixture', [60]);
      await artifacts.put(
        artifactKeys.datasetPipeline('candidate'),
        await artifacts.get(stronger.pipelineRef),
      );
      const result = await act((i) => registerModelsWith({ artifacts, registry, pool: scoring }, i), {
        modelName: 'champ',
        trials: [
          {
            trialId: 'trial-000',
            params: {
              n_estimators: 10,
              max_depth: 6,
              learning_rate: 0.3,
              gamma: 0,
              reg_alpha: 0,
              reg_lambda: 1,
              subsample: 1,
              colsample_bytree: 1,
            },
            metrics: { rmse: candidateRmse, mae: 1, r2: 0.5 },
            trainMs: 1,
            modelRef: stronger.modelRef,
            rounds: 60,
            engine: 'native' as const,
            engineVersion: 'test',
            // Calibrated already: this test is about the champion's re-scoring, not the candidate's model.
            intervalRef: 'models/candidate.interval-calibration.json',
          },
        ],
        dataset: {
          datasetRef: 'datasets/candidate/data.bin',
          datasetHash: 'candidate',
          validationYear: 2016,
          sourceObjects: [],
        },
        trainingWorkflowId: 'train-candidate',
      });
      expect(result.champion.previousChampion?.rmse).to.be.closeTo(rmse, 0.5);
      expect(result.champion.comparison?.champion.rmse).to.be.closeTo(rmse, 0.5);
      expect(result.champion.comparison?.rows).to.equal(rows.length);
      expect(result.champion.decision).to.equal('promoted');
    });
  });
});
