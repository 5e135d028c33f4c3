import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ModelRegistry, ModelVersion } from '../../src/registry/model-registry';
import { BlobStore } from '../../src/storage/blob-store';
import { openBlobStore, S3Options } from '../../src/storage/from-uri';
import { startS3ForTests, TestS3 } from '../support/s3-server';

type Entry = Omit<ModelVersion, 'version' | 'createdAt'>;

function entry(overrides: Partial<Entry> = {}): Entry {
  return {
    modelName: 'traffic',
    modelRef: 'models/abc',
    pipelineRef: 'datasets/h1/pipeline.json',
    engine: 'native',
    engineVersion: '1.7.4',
    rounds: 120,
    params: {
      n_estimators: 120,
      max_depth: 6,
      learning_rate: 0.1,
      gamma: 0,
      reg_alpha: 0,
      reg_lambda: 1,
      subsample: 0.8,
      colsample_bytree: 0.8,
    },
    metrics: { rmse: 450.5, mae: 300.25, r2: 0.93 },
    validationYear: 2017,
    datasetHash: 'h1',
    sourceObjects: [{ key: 'data/traffic_2016.csv', etag: 'e1', size: 123 }],
    trainingWorkflowId: 'wf-1',
    trialId: 't-0',
    ...overrides,
  };
}

const AT = '2024-05-01T12:00:00.000Z';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject');
}

interface Backend {
  /** A store over an empty area of its own. */
  fresh(): BlobStore;
  /** A second, independent client of the same area: what another worker process would have. */
  another(store: BlobStore): BlobStore;
  close(): Promise<void>;
}

function registryContract(name: string, open: () => Promise<Backend>): void {
  describe(`ModelRegistry on ${name}`, function () {
    this.timeout(60_000);
    let backend: Backend;
    let store: BlobStore;
    let registry: ModelRegistry;

    before(async () => {
      backend = await open();
    });
    after(async () => {
      await backend?.close();
    });
    beforeEach(() => {
      store = backend.fresh();
      registry = new ModelRegistry(store);
    });

    it('numbers versions 1, 2, 3 and reads them back', async () => {
      const registered = [];
      for (const trialId of ['a', 'b', 'c']) {
        registered.push(await registry.register({ entry: entry({ trialId }), createdAt: AT }));
      }
      expect(registered.map((v) => v.version)).to.deep.equal([1, 2, 3]);
      expect(registered[0]).to.deep.equal({ ...entry({ trialId: 'a' }), version: 1, createdAt: AT });
      const listed = await registry.listVersions('traffic');
      expect(listed).to.deep.equal(registered);
      expect(await registry.getVersion('traffic', 2)).to.deep.equal(registered[1]);
      expect(await registry.getVersion('traffic', 4)).to.equal(undefined);
      expect(await registry.listVersions('other')).to.deep.equal([]);
    });

    it('re-registering the same (trainingWorkflowId, trialId) returns the existing version', async () => {
      const first = await registry.register({ entry: entry({ trialId: 'x' }), createdAt: AT });
      await registry.register({ entry: entry({ trialId: 'y' }), createdAt: AT });
      const again = await registry.register({
        entry: entry({ trialId: 'x' }),
        createdAt: '2024-05-02T00:00:00Z',
      });
      expect(again).to.deep.equal(first);
      const other = await registry.register({
        entry: entry({ trialId: 'x', trainingWorkflowId: 'wf-2' }),
        createdAt: AT,
      });
      expect(other.version).to.equal(3);
      expect((await registry.listVersions('traffic')).map((v) => v.version)).to.deep.equal([1, 2, 3]);
    });

    it('10 concurrent registrations from separate registries get versions 1..10, each once', async () => {
      await registry.register({ entry: entry({ trialId: 'seed' }), createdAt: AT });
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          new ModelRegistry(backend.another(store)).register({
            entry: entry({ trialId: `c-${i}` }),
            createdAt: AT,
          }),
        ),
      );
      expect(results.map((v) => v.version).sort((a, b) => a - b)).to.deep.equal([
        2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
      ]);
      const listed = await registry.listVersions('traffic');
      expect(listed.map((v) => v.version)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      for (const result of results) {
        expect(listed.find((v) => v.version === result.version)?.trialId).to.equal(result.trialId);
      }
    });

    it('concurrent retries of one registration create a single version', async () => {
      const attempts = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 'dup' : `other-${i}`));
      const results = await Promise.all(
        attempts.map((trialId) =>
          new ModelRegistry(backend.another(store)).register({ entry: entry({ trialId }), createdAt: AT }),
        ),
      );
      const dupVersions = new Set(results.filter((v) => v.trialId === 'dup').map((v) => v.version));
      expect(dupVersions.size).to.equal(1);
      const listed = await registry.listVersions('traffic');
      expect(listed.map((v) => v.version)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
      expect(listed.filter((v) => v.trialId === 'dup')).to.have.length(1);
    });

    it('a retry whose listing missed its earlier version still returns that version', async () => {
      const first = await registry.register({ entry: entry({ trialId: 'dup' }), createdAt: AT });
      await registry.register({ entry: entry({ trialId: 'next' }), createdAt: AT });
      // As if the listing had been taken just before the first attempt's write landed.
      const stale: BlobStore = Object.assign(Object.create(backend.another(store)) as BlobStore, {
        list: async () => [],
      });
      const retried = await new ModelRegistry(stale).register({
        entry: entry({ trialId: 'dup' }),
        createdAt: AT,
      });
      expect(retried).to.deep.equal(first);
      expect((await registry.listVersions('traffic')).map((v) => v.trialId)).to.deep.equal(['dup', 'next']);
    });

    it('moves an alias by compare-and-set and keeps its history', async () => {
      for (const trialId of ['a', 'b', 'c'])
        await registry.register({ entry: entry({ trialId }), createdAt: AT });
      expect(await registry.getAlias('traffic', 'champion')).to.equal(undefined);

      const set = (version: number, expectedSeq: number | undefined, reason?: string) =>
        registry.setAlias({
          modelName: 'traffic',
          alias: 'champion',
          version,
          expectedSeq,
          reason,
          setAt: AT,
        });
      expect(await set(1, undefined, 'first')).to.equal(true);
      expect(await registry.getAlias('traffic', 'champion')).to.deep.equal({
        version: 1,
        seq: 1,
        setAt: AT,
        reason: 'first',
      });
      expect(await set(2, undefined)).to.equal(false);
      expect(await set(2, 5)).to.equal(false);
      expect(await set(2, 1)).to.equal(true);
      expect(await set(3, 1)).to.equal(false);
      expect(await registry.getAlias('traffic', 'champion')).to.deep.equal({ version: 2, seq: 2, setAt: AT });
      const history = (await store.list('registry/traffic/aliases/champion/')).map((i) => i.key);
      expect(history).to.have.length(2);
    });

    it('repeating a setAlias that already succeeded returns true without moving the alias again', async () => {
      await registry.register({ entry: entry(), createdAt: AT });
      const input = {
        modelName: 'traffic',
        alias: 'champion',
        version: 1,
        expectedSeq: undefined,
        setAt: AT,
      };
      expect(await registry.setAlias({ ...input, reason: 'r' })).to.equal(true);
      expect(await registry.setAlias({ ...input, reason: 'r' })).to.equal(true);
      expect(await registry.setAlias({ ...input, reason: 'different' })).to.equal(false);
      expect((await registry.getAlias('traffic', 'champion'))?.seq).to.equal(1);
    });

    it('two concurrent setAlias with the same expectedSeq: exactly one wins', async () => {
      for (const trialId of ['a', 'b', 'c'])
        await registry.register({ entry: entry({ trialId }), createdAt: AT });
      await registry.setAlias({
        modelName: 'traffic',
        alias: 'champion',
        version: 1,
        expectedSeq: undefined,
        setAt: AT,
      });
      for (let round = 0; round < 5; round++) {
        const current = (await registry.getAlias('traffic', 'champion'))!;
        const contenders = [2, 3];
        const results = await Promise.all(
          contenders.map((version) =>
            new ModelRegistry(backend.another(store)).setAlias({
              modelName: 'traffic',
              alias: 'champion',
              version,
              expectedSeq: current.seq,
              setAt: AT,
            }),
          ),
        );
        expect(results.filter(Boolean), `round ${round}`).to.have.length(1);
        const after = (await registry.getAlias('traffic', 'champion'))!;
        expect(after.seq).to.equal(current.seq + 1);
        expect(after.version).to.equal(contenders[results.indexOf(true)]);
      }
    });

    it('refuses to point an alias at a missing version', async () => {
      await registry.register({ entry: entry(), createdAt: AT });
      const err = await rejection(
        registry.setAlias({
          modelName: 'traffic',
          alias: 'champion',
          version: 9,
          expectedSeq: undefined,
          setAt: AT,
        }),
      );
      expect(err.message).to.contain('no such version');
      expect(await registry.getAlias('traffic', 'champion')).to.equal(undefined);
    });

    it('resolves aliases, numbers and digit strings, with clear errors when missing', async () => {
      await registry.register({ entry: entry({ trialId: 'a' }), createdAt: AT });
      await registry.register({ entry: entry({ trialId: 'b' }), createdAt: AT });
      await registry.setAlias({
        modelName: 'traffic',
        alias: 'champion',
        version: 2,
        expectedSeq: undefined,
        setAt: AT,
      });
      expect((await registry.resolve('traffic', 'champion')).trialId).to.equal('b');
      expect((await registry.resolve('traffic', 1)).trialId).to.equal('a');
      expect((await registry.resolve('traffic', '1')).trialId).to.equal('a');
      expect((await rejection(registry.resolve('traffic', 7))).message).to.equal(
        'model "traffic" has no version 7 (latest is version 2)',
      );
      expect((await rejection(registry.resolve('traffic', 'staging'))).message).to.contain(
        'model "traffic" has no alias "staging"',
      );
      expect((await rejection(registry.resolve('nothing', 'champion'))).message).to.contain(
        'no versions are registered',
      );
    });

    it('lists models that have versions', async () => {
      expect(await registry.listModels()).to.deep.equal([]);
      await registry.register({ entry: entry({ modelName: 'zeta' }), createdAt: AT });
      await registry.register({ entry: entry({ modelName: 'alpha-1.v2' }), createdAt: AT });
      expect(await registry.listModels()).to.deep.equal(['alpha-1.v2', 'zeta']);
    });

    it('rejects unsafe model and alias names and invalid entries, writing nothing', async () => {
      for (const modelName of ['', '../x', 'a/b', '.hidden', 'a b']) {
        const err = await rejection(registry.register({ entry: entry({ modelName }), createdAt: AT }));
        expect(err.message, modelName).to.contain('invalid model name');
      }
      await registry.register({ entry: entry(), createdAt: AT });
      for (const alias of ['1', 'a/b', '']) {
        const err = await rejection(
          registry.setAlias({ modelName: 'traffic', alias, version: 1, expectedSeq: undefined, setAt: AT }),
        );
        expect(err.message, alias).to.contain('invalid alias');
      }
      const bad = await rejection(
        registry.register({ entry: entry({ trialId: 'z', rounds: 0 }), createdAt: AT }),
      );
      expect(bad.message).to.contain('rounds');
      const badTime = await rejection(
        registry.register({ entry: entry({ trialId: 'z' }), createdAt: 'yesterday' }),
      );
      expect(badTime.message).to.contain('createdAt');
      expect((await store.list()).map((i) => i.key)).to.deep.equal([
        'registry/traffic/versions/0000000001.json',
      ]);
    });

    it('names the key of a corrupted registry file', async () => {
      await registry.register({ entry: entry({ trialId: 'a' }), createdAt: AT });
      const key = 'registry/traffic/versions/0000000002.json';
      await store.put(key, '{ not json');
      const notJson = await rejection(registry.listVersions('traffic'));
      expect(notJson.name).to.equal('CorruptRegistryRecordError');
      expect(notJson.message).to.contain(key).and.contain('not JSON');

      await store.put(key, JSON.stringify({ ...entry(), version: 2, createdAt: AT, metrics: { rmse: 'x' } }));
      const badShape = await rejection(registry.getVersion('traffic', 2));
      expect(badShape.message).to.contain(key).and.contain('metrics.rmse');

      await store.put(key, JSON.stringify({ ...entry(), version: 5, createdAt: AT }));
      const misplaced = await rejection(registry.getVersion('traffic', 2));
      expect(misplaced.message).to.contain(key).and.contain('expected traffic version 2');
    });
  });
}

let counter = 0;
const uniqueName = () => `r${process.pid}-${Date.now().toString(36)}-${++counter}`;

registryContract('file', async () => {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'model-registry-test-'));
  return {
    fresh: () => openBlobStore(`file://${dir}/${uniqueName()}`),
    another: (store) => openBlobStore(store.uri),
    close: () => fs.rm(dir, { recursive: true, force: true }),
  };
});

registryContract(
  process.env.S3_ENDPOINT ? `s3 (${process.env.S3_ENDPOINT})` : 's3 (moto_server)',
  async () => {
    const s3: TestS3 = await startS3ForTests({ conditionalWrites: true });
    const options: S3Options = s3.options;
    return {
      fresh: () => openBlobStore(s3.uri(uniqueName()), options),
      another: (store) => openBlobStore(store.uri, options),
      close: () => s3.stop(),
    };
  },
);
