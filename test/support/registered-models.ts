/** Trains small native models on the committed sample and registers them: a registry to serve without Temporal. */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import { loadNativeEngine } from '../../src/engines/native-engine';
import { fitFeaturePipeline, targetVector, transformRows } from '../../src/features/features';
import type { TrafficRow } from '../../src/contracts/domain';
import { promoteChampion } from '../../src/registry/champion';
import { ModelRegistry, type ModelVersion } from '../../src/registry/model-registry';
import type { BlobStore } from '../../src/storage/blob-store';
import { SAMPLE_DIR } from './data-dirs';

const PREFIX = 'Metro_Interstate_Traffic_Volume';
/** Where the registered versions' shared feature pipeline is stored. */
export const PIPELINE_REF = 'datasets/serve-fixture/pipeline.json';

export function sampleRows(years: number[] = [2015, 2016], dir = SAMPLE_DIR): TrafficRow[] {
  return years.flatMap((year) => {
    const file = path.join(dir, `${PREFIX}_${year}.csv`);
    return parseTrafficCsv({ text: fs.readFileSync(file, 'utf8'), file }).rows;
  });
}

/** Registers one version per entry of `rounds` (more rounds, a different model), all on the same pipeline. */
export async function registerSampleVersions(
  artifacts: BlobStore,
  modelName: string,
  rounds: number[],
  rows: TrafficRow[] = sampleRows(),
): Promise<ModelVersion[]> {
  const engine = loadNativeEngine();
  const pipeline = fitFeaturePipeline({ rows });
  const pipelineRef = PIPELINE_REF;
  await artifacts.put(pipelineRef, JSON.stringify(pipeline));
  const x = transformRows(pipeline, rows);
  const y = targetVector(rows);
  const registry = new ModelRegistry(artifacts);
  const versions: ModelVersion[] = [];
  for (const n of rounds) {
    const params = {
      n_estimators: n,
      max_depth: 6,
      learning_rate: 0.3,
      gamma: 0,
      reg_alpha: 0,
      reg_lambda: 1,
      subsample: 1,
      colsample_bytree: 1,
    };
    const model = engine.train({ train: x, trainLabels: y, params, nthread: 1 });
    const bytes = model.save();
    model.free();
    const sha = createHash('sha256').update(bytes).digest('hex');
    const modelRef = `models/${sha}.native.json`;
    await artifacts.put(modelRef, bytes);
    versions.push(
      await registry.register({
        createdAt: new Date().toISOString(),
        entry: {
          modelName,
          modelRef,
          pipelineRef,
          engine: 'native',
          engineVersion: engine.version,
          rounds: n,
          params,
          metrics: { rmse: 1000 / n, mae: 500 / n, r2: 0.9 },
          validationYear: 2016,
          datasetHash: 'serve-fixture',
          sourceObjects: [],
          trainingWorkflowId: 'serve-fixture',
          trialId: `rounds-${n}`,
        },
      }),
    );
  }
  return versions;
}

/** Registers one sample version (`rounds` boosting rounds) and promotes it: a champion to serve. */
export async function registerSampleChampion(
  artifacts: BlobStore,
  modelName: string,
  rounds = 10,
): Promise<ModelVersion> {
  const [version] = await registerSampleVersions(artifacts, modelName, [rounds]);
  await promoteChampion(new ModelRegistry(artifacts), {
    modelName,
    version: version.version,
    by: 'test',
    at: new Date().toISOString(),
  });
  return version;
}
