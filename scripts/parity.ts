/**
 * Seed parity: the validation RMSE of this project's pipeline (the same ML-core functions the
 * prepareDataset and runTrial activities call, native engine) next to the seed's Python pipeline
 * (scripts/parity.py: pandas + DictVectorizer + xgboost) with the same features and parameters.
 *
 *   npm run parity -- [--data-dir DIR] [--years 2012-2016] [--val-year 2016] [--params JSON] [--json]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { parseYears } from '../src/cli/training-options';
import { dedupeRows } from '../src/data/dedupe';
import { parseTrafficCsv } from '../src/data/traffic-csv';
import { loadNativeEngine } from '../src/engines/native-engine';
import { fitFeaturePipeline, targetVector, transformRows } from '../src/features/features';
import { regressionMetrics } from '../src/evaluation/metrics';
import { validateParams } from '../src/search/params';
import { splitByYear } from '../src/data/split';
import type { TrafficRow } from '../src/contracts/domain';

const ROOT = path.resolve(__dirname, '../..');
const DEFAULT_PARAMS = {
  n_estimators: 300,
  max_depth: 6,
  learning_rate: 0.1,
  gamma: 0.05,
  reg_alpha: 0.1,
  reg_lambda: 1,
  subsample: 0.8,
  colsample_bytree: 0.8,
  seed: 0,
};

function defaultDataDir(): string {
  const real = path.resolve(ROOT, '../shared/data/metro-traffic/by-year');
  return process.env.DATA_DIR ?? (fs.existsSync(real) ? real : path.join(ROOT, 'data/sample'));
}

function main(): void {
  const opts = new Command('parity')
    .option('--data-dir <dir>', 'by-year CSV folder', defaultDataDir())
    .option('--years <years>', 'years to read', '2012-2016')
    .option('--val-year <year>', 'validation year', '2016')
    .option('--params <json>', 'XGBoost parameters', JSON.stringify(DEFAULT_PARAMS))
    .option('--json', 'print JSON')
    .parse()
    .opts<{ dataDir: string; years: string; valYear: string; params: string; json?: boolean }>();
  const years = parseYears(opts.years);
  const validationYear = Number(opts.valYear);
  const params = validateParams(JSON.parse(opts.params));

  const rows: TrafficRow[] = [];
  for (const year of years) {
    const file = `Metro_Interstate_Traffic_Volume_${year}.csv`;
    rows.push(
      ...parseTrafficCsv({ text: fs.readFileSync(path.join(opts.dataDir, file), 'utf8'), file }).rows,
    );
  }
  const { train, validation } = splitByYear({ rows: dedupeRows(rows), validationYear });
  const pipeline = fitFeaturePipeline({ rows: train });
  const engine = loadNativeEngine();
  const model = engine.train({
    train: transformRows(pipeline, train),
    trainLabels: targetVector(train),
    params,
    nthread: 1,
  });
  const valLabels = targetVector(validation);
  const ours = regressionMetrics(valLabels, model.predict(transformRows(pipeline, validation)));
  model.free();

  const py = spawnSync(
    process.env.PYTHON ?? 'python3',
    [
      path.join(ROOT, 'scripts/parity.py'),
      '--data-dir',
      opts.dataDir,
      '--years',
      opts.years,
      '--val-year',
      opts.valYear,
      '--params',
      JSON.stringify(params),
    ],
    { encoding: 'utf8' },
  );
  if (py.status !== 0) throw new Error(`scripts/parity.py failed: ${py.stderr.trim()}`);
  const seed = JSON.parse(py.stdout) as {
    rmse: number;
    mae: number;
    r2: number;
    featureNames: string[];
    trainRows: number;
    validationRows: number;
    xgboostVersion?: string;
  };

  const report = {
    dataDir: opts.dataDir,
    years,
    validationYear,
    params,
    typescript: {
      ...ours,
      engine: `native ${engine.version}`,
      trainRows: train.length,
      validationRows: validation.length,
      featureNames: pipeline.featureNames,
    },
    python: seed,
    sameFeatures: JSON.stringify(seed.featureNames) === JSON.stringify(pipeline.featureNames),
    rmseRelativeDifference: Math.abs(ours.rmse - seed.rmse) / seed.rmse,
  };
  if (opts.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(
    `data ${opts.dataDir}, years ${opts.years}, validation ${validationYear}, params ${JSON.stringify(params)}`,
  );
  console.log(
    `rows: TypeScript ${train.length} train / ${validation.length} validation; Python ${seed.trainRows} / ${seed.validationRows}`,
  );
  console.log(`same 17 feature columns in the same order: ${report.sameFeatures}`);
  console.log(
    `validation RMSE: TypeScript (native XGBoost ${engine.version}) ${ours.rmse.toFixed(2)}; Python seed pipeline ${seed.rmse.toFixed(2)}`,
  );
  console.log(`relative difference: ${(report.rmseRelativeDifference * 100).toFixed(2)}% (target ≤ 3%)`);
}

try {
  main();
} catch (err) {
  console.error(`parity: ${(err as Error).message}`);
  process.exit(1);
}
