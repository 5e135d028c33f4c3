import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import { loadWasmEngine, wasmBoosterOptions } from '../../src/engines/wasm-engine';
import type { WasmProbeReport } from '../support/wasm-engine-probe';

/** Runs the probe in its own worker thread, where ml-xgboost's global handlers cannot reach mocha. */
function runProbe(): Promise<WasmProbeReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.resolve(__dirname, '../support/wasm-engine-probe.js'));
    worker.once('message', (message: { report?: WasmProbeReport; error?: string }) => {
      void worker.terminate();
      if (message.report) resolve(message.report);
      else reject(new Error(message.error));
    });
    worker.once('error', reject);
  });
}

describe('wasm engine', function () {
  let report: WasmProbeReport;
  let listenersBefore: number;

  before(async function () {
    listenersBefore = process.listenerCount('uncaughtException');
    report = await runProbe();
  });

  it('never loads in the main thread', async function () {
    let error: Error | undefined;
    try {
      await loadWasmEngine();
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.match(/must be loaded inside a worker thread/);
    expect(process.listenerCount('uncaughtException')).to.equal(listenersBefore);
  });

  it('maps the trial parameters to ml-xgboost options', function () {
    const options = wasmBoosterOptions({
      n_estimators: 300,
      max_depth: 6,
      learning_rate: 0.05,
      gamma: 0.1,
      reg_alpha: 0.2,
      reg_lambda: 2,
      subsample: 0.8,
      colsample_bytree: 0.7,
      seed: 9,
    });
    expect(options).to.deep.equal({
      booster: 'gbtree',
      objective: 'reg:linear',
      tree_method: 'hist',
      iterations: 300,
      eta: 0.05,
      max_depth: 6,
      gamma: 0.1,
      alpha: 0.2,
      lambda: 2,
      subsample: 0.8,
      colsample_bytree: 0.7,
      min_child_weight: 1,
      seed: 9,
    });
  });

  it('trains in a worker thread and beats the mean baseline', function () {
    expect(report.name).to.equal('wasm');
    expect(report.version).to.match(/wasm/);
    expect(report.rounds).to.equal(40);
    expect(report.progressCalls).to.equal(1);
    expect(report.rmse).to.be.lessThan(0.5 * report.baselineRmse);
  });

  it('keeps -1 apart from missing values (ml-xgboost treats -1 as missing)', function () {
    expect(report.minusOne - report.plusOne).to.be.closeTo(50, 10);
    expect(report.missing - report.plusOne).to.be.closeTo(100, 10);
  });

  it('saves and loads a model that predicts identically', function () {
    expect(report.reloadedIdentical).to.equal(true);
    expect(report.reloadError).to.match(/always predicts with all 40 rounds/);
  });

  it('refuses to predict with a freed model', function () {
    expect(report.freedPredictError).to.match(/freed/);
  });

  it('says that SHAP explanations need the native engine', function () {
    expect(report.contributionsError).to.match(
      /^ExplanationUnsupportedError: SHAP explanations need the native engine/,
    );
  });
});
