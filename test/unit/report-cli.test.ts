import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ModelRegistry } from '../../src/registry/model-registry';
import { FileBlobStore } from '../../src/storage/file-store';

const CLIENT = path.resolve(__dirname, '../../src/client.js');

describe('client report', function () {
  let dir: string;

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'report-cli-'));
    const store = new FileBlobStore(`file://${dir}`);
    await store.put('reports/run-7.html', '<html>run 7</html>');
    const registry = new ModelRegistry(store);
    await registry.register({
      createdAt: new Date().toISOString(),
      entry: {
        modelName: 'traffic-volume-predictor',
        modelRef: 'models/m.native.json',
        pipelineRef: 'datasets/d/pipeline.json',
        engine: 'native',
        engineVersion: '1.7.4',
        rounds: 1,
        params: {
          n_estimators: 1,
          max_depth: 1,
          learning_rate: 0.1,
          gamma: 0,
          reg_alpha: 0,
          reg_lambda: 1,
          subsample: 1,
          colsample_bytree: 1,
        },
        metrics: { rmse: 1, mae: 1, r2: 0.9 },
        validationYear: 2016,
        datasetHash: 'd',
        sourceObjects: [],
        trainingWorkflowId: 'run-7',
        trialId: 'trial-000',
        reportRef: 'reports/run-7.html',
      },
    });
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  function client(args: string[]) {
    const result = spawnSync(process.execPath, [CLIENT, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ARTIFACTS_URI: `file://${dir}`, TEMPORAL_ADDRESS: '127.0.0.1:1' },
      cwd: dir,
    });
    return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
  }

  it('writes the report of a run under reports/ (or --out), found by run id or by the version it registered, and prints the path', function () {
    const byRun = client(['report', 'run-7']);
    expect(byRun.stderr).to.equal('');
    expect(byRun.stdout).to.equal(path.join(dir, 'reports', 'run-7.html'));
    expect(readFileSync(byRun.stdout, 'utf8')).to.equal('<html>run 7</html>');
    const out = path.join(dir, 'out', 'r.html');
    expect(client(['report', '1', '--out', out]).stdout).to.equal(out);
    expect(readFileSync(out, 'utf8')).to.equal('<html>run 7</html>');
    expect(JSON.parse(client(['models', 'show', '1']).stdout).reportRef).to.equal('reports/run-7.html');
  });

  it('names the missing report in one line', function () {
    const missing = client(['report', 'no-such-run']);
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.match(/^error: no report reports\/no-such-run\.html in file:\/\//);
  });
});
