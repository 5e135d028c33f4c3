import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { DatasetCache } from '../../src/activities/dataset-cache';
import { observeTrial } from '../../src/activities/observe-trial';
import { registerModelsWith, type RegisterDeps } from '../../src/activities/register';
import { startMetricsServer } from '../../src/metrics/metrics-server';
import { WorkerMetrics } from '../../src/metrics/worker-metrics';
import type { TrialPool } from '../../src/engines/trial-pool';
import { ModelRegistry } from '../../src/registry/model-registry';
import { openBlobStore } from '../../src/storage/from-uri';
import type { RegisterModelsInput, RegisterModelsResult, TrialResult } from '../../src/contracts';
import { SMALL_PARAMS, tempDir } from '../support/pipeline-harness';
import { parsePromText, sumOf } from '../support/prometheus-text';
import { freePort } from '../support/temporal';

async function scrape(metrics: WorkerMetrics) {
  return parsePromText(await metrics.registry.metrics());
}

describe('worker metrics', () => {
  it('counts and times trials by how they ended; a result marked pruned counts as pruned', async () => {
    const metrics = new WorkerMetrics();
    await observeTrial(metrics, async () => ({ trialId: 't1' }));
    await observeTrial(metrics, async () => ({ trialId: 't2', pruned: true }));
    await observeTrial(metrics, async () => ({ trialId: 't3', pruned: false }));
    const failure = new Error('boom');
    await observeTrial(metrics, () => Promise.reject(failure)).then(
      () => expect.fail('the failure must propagate'),
      (err) => expect(err).to.equal(failure),
    );
    await observeTrial(metrics, () => Promise.reject(new CancelledFailure('stop'))).catch(() => undefined);

    const samples = await scrape(metrics);
    const trials = (status: string) => sumOf(samples, 'traffic_ml_trials_total', { status });
    expect([trials('completed'), trials('pruned'), trials('failed'), trials('cancelled')]).to.deep.equal([
      2, 1, 1, 1,
    ]);
    expect(sumOf(samples, 'traffic_ml_trial_duration_seconds_count')).to.equal(5);
    expect(sumOf(samples, 'traffic_ml_trial_duration_seconds_count', { status: 'pruned' })).to.equal(1);
  });

  it('starts every trial status and cache result at 0, so dashboards show 0 instead of no data', async () => {
    const samples = await scrape(new WorkerMetrics());
    const trials = samples.filter((s) => s.name === 'traffic_ml_trials_total');
    expect(trials.map((s) => s.labels.status).sort()).to.deep.equal([
      'cancelled',
      'completed',
      'failed',
      'pruned',
    ]);
    expect(trials.every((s) => s.value === 0)).to.equal(true);
    expect(sumOf(samples, 'traffic_ml_dataset_cache_requests_total', { result: 'hit' })).to.equal(0);
  });

  it('counts the registry versions a registration created, not the ones its retry finds', async () => {
    const metrics = new WorkerMetrics();
    const artifacts = openBlobStore(`file://${tempDir('registry-metrics')}`);
    const deps = {
      artifacts,
      registry: new ModelRegistry(artifacts),
      datasets: new DatasetCache(artifacts),
      pool: {} as TrialPool, // only re-scoring a champion of another validation year uses it
      metrics,
    };
    const trial = (trialId: string, rmse: number): TrialResult => ({
      trialId,
      params: SMALL_PARAMS,
      metrics: { rmse, mae: rmse / 2, r2: 0.9 },
      trainMs: 10,
      modelRef: `models/${trialId}.native.json`,
      rounds: 60,
      engine: 'native',
      engineVersion: '1.7.4',
      // Refitted through the whole validation year: a later candidate has no row to be compared on with it,
      // so no model is scored here.
      refit: { rounds: 60, rows: 1000 },
      // Calibrated already (as the final model's is): registration has no model to calibrate here.
      intervalRef: 'models/test.interval-calibration.json',
    });
    const input: RegisterModelsInput = {
      modelName: 'metrics-test',
      trials: [trial('trial-000', 420), trial('trial-001', 410)],
      dataset: {
        datasetRef: 'datasets/h/data.bin',
        datasetHash: 'h',
        validationYear: 2016,
        sourceObjects: [],
        validationPeriod: { from: '2016-01-01 00:00:00', to: '2016-12-31 23:00:00', rows: 8000 },
      },
      trainingWorkflowId: 'train-1',
    };
    const register = (i: RegisterModelsInput) =>
      new MockActivityEnvironment().run<
        [RegisterDeps, RegisterModelsInput],
        RegisterModelsResult,
        typeof registerModelsWith
      >(registerModelsWith, deps, i);
    const created = async () =>
      sumOf(await scrape(metrics), 'traffic_ml_registry_versions_created_total', { model: 'metrics-test' });

    const first = await register(input);
    expect(first.versions.map((v) => v.version)).to.deep.equal([1, 2]);
    expect(await created()).to.equal(2);
    await new Promise((r) => setTimeout(r, 5)); // a retry runs later: another createdAt
    const retry = await register(input);
    expect(retry.versions.map((v) => v.version)).to.deep.equal([1, 2]);
    expect(await created()).to.equal(2);
    await register({
      ...input,
      trainingWorkflowId: 'train-2',
    });
    expect(await created()).to.equal(4);
  });

  describe('the endpoint', () => {
    let sdk: http.Server;
    let sdkUrl: string;
    before(async () => {
      sdk = http.createServer((_req, res) =>
        res.end('# TYPE temporal_worker_start counter\ntemporal_worker_start 2\n'),
      );
      await new Promise<void>((resolve) => sdk.listen(0, '127.0.0.1', resolve));
      sdkUrl = `http://127.0.0.1:${(sdk.address() as AddressInfo).port}/metrics`;
    });
    after(() => new Promise<void>((resolve) => sdk.close(() => resolve())));

    it("serves the SDK's and the pipeline's metrics in one scrape, /healthz, and 404 elsewhere", async () => {
      const metrics = new WorkerMetrics();
      metrics.versionsCreated('m', 2);
      let healthy = true;
      const port = await freePort();
      const server = await startMetricsServer({
        port,
        host: '127.0.0.1',
        metrics,
        sdkMetricsUrl: sdkUrl,
        health: () => ({ ok: healthy, detail: healthy ? 'q: RUNNING' : 'q: DRAINING' }),
      });
      try {
        const base = `http://127.0.0.1:${port}`;
        const response = await fetch(`${base}/metrics`);
        expect(response.status).to.equal(200);
        const samples = parsePromText(await response.text());
        expect(sumOf(samples, 'temporal_worker_start')).to.equal(2);
        expect(sumOf(samples, 'traffic_ml_registry_versions_created_total', { model: 'm' })).to.equal(2);

        expect((await fetch(`${base}/healthz`)).status).to.equal(200);
        healthy = false;
        const unhealthy = await fetch(`${base}/healthz`);
        expect([unhealthy.status, await unhealthy.text()]).to.deep.equal([503, 'q: DRAINING\n']);
        expect((await fetch(`${base}/other`)).status).to.equal(404);
      } finally {
        await server.close();
      }
    });

    it('answers 503 when the SDK exporter does not, rather than a scrape without the SDK metrics', async () => {
      const port = await freePort();
      const server = await startMetricsServer({
        port,
        host: '127.0.0.1',
        metrics: new WorkerMetrics(),
        sdkMetricsUrl: `http://127.0.0.1:${await freePort()}/metrics`,
      });
      try {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(response.status).to.equal(503);
        expect(await response.text()).to.match(/^temporal sdk metrics unavailable: /);
      } finally {
        await server.close();
      }
    });
  });
});
