import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SEED_EXAMPLE_ROWS } from '../../src/data/prediction-input';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import { loadNativeEngine } from '../../src/engines/native-engine';
import { fitFeaturePipeline, targetVector, transformRows } from '../../src/features/features';
import { fitPipeline, transformWithPipeline } from '../../src/features/feature-pipeline';
import { ModelRegistry } from '../../src/registry/model-registry';
import { FileBlobStore } from '../../src/storage/file-store';
import { SAMPLE_DIR } from '../support/data-dirs';

const CLIENT = path.resolve(__dirname, '../../src/client.js');
const EXAMPLE_ROWS = path.resolve(__dirname, '../../../examples/seed-rows.json');

describe('client explain', function () {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'explain-cli-'));
    env = { ...process.env, ARTIFACTS_URI: `file://${dir}`, TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const file = 'Metro_Interstate_Traffic_Volume_2015.csv';
    const rows = parseTrafficCsv({ text: readFileSync(path.join(SAMPLE_DIR, file), 'utf8'), file }).rows;
    const pipeline = fitFeaturePipeline({ rows });
    const params = {
      n_estimators: 40,
      max_depth: 4,
      learning_rate: 0.3,
      gamma: 0,
      reg_alpha: 0,
      reg_lambda: 1,
      subsample: 1,
      colsample_bytree: 1,
    };
    const model = loadNativeEngine().train({
      train: transformRows(pipeline, rows),
      trainLabels: targetVector(rows),
      params,
      nthread: 1,
    });
    const store = new FileBlobStore(`file://${dir}`);
    await store.put('models/m.native.json', model.save());
    await store.put('datasets/d/pipeline.json', JSON.stringify(pipeline));
    const entry = {
      modelName: 'traffic-volume-predictor',
      modelRef: 'models/m.native.json',
      pipelineRef: 'datasets/d/pipeline.json',
      engine: 'native' as const,
      engineVersion: '1.7.4',
      rounds: model.rounds,
      params,
      metrics: { rmse: 1, mae: 1, r2: 0.9 },
      validationYear: 2015,
      datasetHash: 'd',
      sourceObjects: [],
      trainingWorkflowId: 'test',
      trialId: 'trial-000',
    };
    model.free();
    const registry = new ModelRegistry(store);
    await registry.register({ createdAt: new Date().toISOString(), entry });
    await registry.register({
      createdAt: new Date().toISOString(),
      entry: { ...entry, engine: 'wasm', trialId: 'trial-001' },
    });
    // v3: the default v2 features, whose pipeline records each feature's raw inputs.
    const v2 = fitPipeline({ features: 'v2', rows });
    const v2Model = loadNativeEngine().train({
      train: transformWithPipeline(v2, rows).matrix,
      trainLabels: targetVector(rows),
      params,
      nthread: 1,
    });
    await store.put('models/m2.native.json', v2Model.save());
    await store.put('datasets/d2/pipeline.json', JSON.stringify(v2));
    await registry.register({
      createdAt: new Date().toISOString(),
      entry: {
        ...entry,
        modelRef: 'models/m2.native.json',
        pipelineRef: 'datasets/d2/pipeline.json',
        rounds: v2Model.rounds,
        datasetHash: 'd2',
        trialId: 'trial-002',
      },
    });
    v2Model.free();
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  function client(args: string[], input: string) {
    const result = spawnSync(process.execPath, [CLIENT, 'explain', ...args], {
      input,
      encoding: 'utf8',
      env,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
  }

  it('prints each prediction with its largest contributions by input column', function () {
    const out = client(['--version', '1', '--top', '3'], JSON.stringify(SEED_EXAMPLE_ROWS));
    expect(out.stderr).to.equal('');
    expect(out.status).to.equal(0);
    expect(out.stdout).to.match(/traffic-volume-predictor v1: every prediction = \d+/);
    expect(out.stdout).to.contain('2024-10-02 09:00:00');
    expect(out.stdout).to.contain('2024-11-28 00:00:00');
  });

  it('prints JSON whose contributions and bias add up to the prediction, weather summed per column', function () {
    const out = client(['-', '--version', '1', '--json'], JSON.stringify({ inputs: SEED_EXAMPLE_ROWS }));
    expect(out.status, out.stderr).to.equal(0);
    const parsed = JSON.parse(out.stdout) as {
      version: number;
      rows: Array<{
        prediction: number;
        bias: number;
        contributions: Array<{ column: string; value: number }>;
      }>;
    };
    expect(parsed.version).to.equal(1);
    expect(parsed.rows).to.have.length(2);
    for (const row of parsed.rows) {
      const columns = row.contributions.map((c) => c.column);
      expect(columns).to.include('weather_main');
      expect(columns.some((c) => c.includes('='))).to.equal(false);
      const sum = row.bias + row.contributions.reduce((s, c) => s + c.value, 0);
      expect(sum).to.be.closeTo(row.prediction, 0.1);
    }
  });

  it('names the raw columns of v2 features with their values (examples/seed-rows.json), no blank rows', function () {
    const out = client(['--version', '3', '--top', '50', EXAMPLE_ROWS], '');
    expect(out.stderr).to.equal('');
    expect(out.status).to.equal(0);
    const lines = out.stdout.split('\n').filter((line) => /^ {2}\S/.test(line));
    expect(lines.length).to.be.at.least(20);
    for (const line of lines) expect(line, line).to.match(/^ {2}\S.*\s[+-]\d+ {2}\S/);
    expect(out.stdout).to.match(/holiday \+ date_time +[+-]\d+ {2}Thanksgiving Day, 2024-11-28 00:00:00/);
    expect(out.stdout).to.match(/holiday \+ date_time +[+-]\d+ {2}None, 2024-10-02 09:00:00/);
    expect(out.stdout).to.not.match(/hour_by_working_day|holiday_day|working_day/);
  });

  it('says clearly that a wasm version cannot be explained, and names bad input rows', function () {
    const wasm = client(['--version', '2'], JSON.stringify(SEED_EXAMPLE_ROWS));
    expect(wasm.status).to.equal(1);
    expect(wasm.stderr).to.match(/^error: SHAP explanations need the native engine/);
    const bad = client([], JSON.stringify([{ ...SEED_EXAMPLE_ROWS[0], temp: 'warm' }]));
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('temp');
  });
});
