import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { championStack, promoteChampion, rollbackChampion } from '../../src/registry/champion';
import { ModelRegistry, ModelVersion } from '../../src/registry/model-registry';
import { openBlobStore } from '../../src/storage/from-uri';

type Entry = Omit<ModelVersion, 'version' | 'createdAt'>;

function entry(trialId: string): Entry {
  return {
    modelName: 'traffic',
    modelRef: `models/${trialId}`,
    pipelineRef: 'datasets/h1/pipeline.json',
    engine: 'native',
    engineVersion: '1.7.4',
    rounds: 10,
    params: {
      n_estimators: 10,
      max_depth: 3,
      learning_rate: 0.1,
      gamma: 0,
      reg_alpha: 0,
      reg_lambda: 1,
      subsample: 1,
      colsample_bytree: 1,
    },
    metrics: { rmse: 400, mae: 300, r2: 0.9 },
    validationYear: 2016,
    datasetHash: 'h1',
    sourceObjects: [],
    trainingWorkflowId: 'wf-1',
    trialId,
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

describe('champion promote, rollback and history', () => {
  let dir: string;
  let registry: ModelRegistry;
  const by = { modelName: 'traffic', by: 'alice', at: AT };

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'champion-'));
    registry = new ModelRegistry(openBlobStore(`file://${dir}`));
    for (const trialId of ['a', 'b', 'c']) await registry.register({ entry: entry(trialId), createdAt: AT });
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('promotes, records who, why and from which run, and keeps every move in order', async () => {
    const first = await promoteChampion(registry, { ...by, version: 1, by: 'training', runId: 'train-1' });
    expect(first).to.include({ moved: true, version: 1 });
    expect(first.previousVersion).to.equal(undefined);
    const second = await promoteChampion(registry, { ...by, version: 3, reason: 'better on 2017' });
    expect(second).to.include({ moved: true, version: 3, previousVersion: 1 });
    expect(await registry.getAlias('traffic', 'champion')).to.deep.include({ version: 3, seq: 2 });
    expect(await registry.aliasHistory('traffic', 'champion')).to.deep.equal([
      {
        version: 1,
        seq: 1,
        setAt: AT,
        reason: 'promoted v1 by hand',
        by: 'training',
        runId: 'train-1',
        action: 'promote',
      },
      { version: 3, seq: 2, setAt: AT, reason: 'better on 2017', by: 'alice', action: 'promote' },
    ]);
  });

  it('promoting the current champion records nothing', async () => {
    await promoteChampion(registry, { ...by, version: 2 });
    const again = await promoteChampion(registry, { ...by, version: 2 });
    expect(again.moved).to.equal(false);
    expect(await registry.aliasHistory('traffic', 'champion')).to.have.length(1);
  });

  it('rejects an unknown version without moving the alias', async () => {
    const err = await rejection(promoteChampion(registry, { ...by, version: 9 }));
    expect(err.message).to.match(/has no version 9/);
    expect(await registry.getAlias('traffic', 'champion')).to.equal(undefined);
  });

  it('rollbacks stack: v1, v2, v3 then two rollbacks lead to v2 then v1, a third fails', async () => {
    for (const version of [1, 2, 3]) await promoteChampion(registry, { ...by, version });
    const back1 = await rollbackChampion(registry, { ...by, by: 'bob' });
    expect(back1).to.include({ moved: true, version: 2, previousVersion: 3 });
    expect(back1.entry).to.include({ action: 'rollback', by: 'bob', reason: 'rolled back from v3 to v2' });
    expect((await rollbackChampion(registry, by)).version).to.equal(1);
    const err = await rejection(rollbackChampion(registry, by));
    expect(err.message).to.equal('model "traffic" has no previous champion to roll back to (champion is v1)');
    expect((await registry.getAlias('traffic', 'champion'))?.version).to.equal(1);
  });

  it('a promotion after a rollback is rolled back to the champion before it', async () => {
    for (const version of [1, 2]) await promoteChampion(registry, { ...by, version });
    await rollbackChampion(registry, by); // v1
    await promoteChampion(registry, { ...by, version: 3 });
    expect((await rollbackChampion(registry, by)).version).to.equal(1);
  });

  it('rollback without a champion fails with a clear message', async () => {
    const err = await rejection(rollbackChampion(registry, by));
    expect(err.message).to.equal('model "traffic" has no champion to roll back');
  });

  it('championStack treats entries without an action as promotions', () => {
    const e = (version: number, action?: 'promote' | 'rollback') => ({
      version,
      seq: 1,
      setAt: AT,
      ...(action ? { action } : {}),
    });
    expect(championStack([e(1), e(2), e(1, 'rollback'), e(4)])).to.deep.equal([1, 4]);
  });

  it('getAliasEntry reads one entry by number: the cheap probe a watcher uses', async () => {
    expect(await registry.getAliasEntry('traffic', 'champion', 1)).to.equal(undefined);
    await promoteChampion(registry, { ...by, version: 2 });
    expect(await registry.getAliasEntry('traffic', 'champion', 1)).to.deep.include({ version: 2, seq: 1 });
  });
});
