import type { ChildProcess } from 'node:child_process';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { startTraining, waitForTraining } from '../../src/cli/training-run';
import type { TrainingResult } from '../../src/contracts';
import { testConfig, trainingInput, workerProcessEnv } from '../support/pipeline-harness';
import { duplicateFamilies, parsePromText, sumOf, type PromSample } from '../support/prometheus-text';
import { devServerEnv, freePort } from '../support/temporal';
import { spawnWorkerProcess } from '../support/worker-process';

const TRIALS = 4;
const THREADS = 2;

// The SDK's exporter belongs to the process-wide Runtime, and mocha's process already has one
// (test/support/quiet-runtime.ts): the worker runs as its own process, as it does in production.
describe('worker metrics (real dev server, worker process with --metrics-port)', function () {
  this.timeout(300_000);
  let env: TestWorkflowEnvironment;
  let worker: ChildProcess | undefined;
  let workerOutput = (): string => '';

  before(async () => {
    env = await devServerEnv();
  });
  after(async () => {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await env?.teardown();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error(`worker output:\n${workerOutput()}`);
  });

  it('serves the SDK metrics and the pipeline metrics with the values of a small search', async () => {
    const config = testConfig({});
    const metricsPort = await freePort();
    const base = `http://127.0.0.1:${metricsPort}`;
    const spawned = spawnWorkerProcess({
      env: workerProcessEnv(env, config),
      args: ['--threads', String(THREADS), '--metrics-port', String(metricsPort)],
    });
    worker = spawned.child;
    workerOutput = spawned.output;
    const { exited } = spawned;

    const health = await waitUntilHealthy(`${base}/healthz`, exited);
    expect(health)
      .to.include(`${config.taskQueue}: RUNNING`)
      .and.include(`${config.trialTaskQueue}: RUNNING`);

    const client = env.client as unknown as Client;
    const handle = await startTraining(
      client,
      config,
      trainingInput(config, { trials: TRIALS, parallelism: THREADS, engine: 'native' }),
    );
    const result: TrainingResult = await waitForTraining(client, handle, () => undefined, 500);
    expect(result.search!.leaderboard).to.have.length(TRIALS);

    const response = await fetch(`${base}/metrics`);
    expect(response.status).to.equal(200);
    const text = await response.text();
    expect(duplicateFamilies(text)).to.deep.equal([]);
    const samples = parsePromText(text);
    const value = (name: string, labels: Record<string, string> = {}) => sumOf(samples, name, labels);

    // The SDK's exporter: activity and workflow metrics of this worker's task queues.
    const trialQueue = { task_queue: config.trialTaskQueue };
    // A window of THREADS over THREADS slots: one trial per runTrialBatch activity (patch 'trial-batches').
    expect(
      value('temporal_activity_execution_latency_count', { ...trialQueue, activity_type: 'runTrialBatch' }),
    ).to.equal(TRIALS);
    expect(value('temporal_activity_schedule_to_start_latency_count', trialQueue)).to.equal(TRIALS);
    expect(value('temporal_activity_task_received', { activity_type: 'prepareDataset' })).to.equal(1);
    expect(
      value('temporal_worker_task_slots_available', { ...trialQueue, worker_type: 'ActivityWorker' }),
    ).to.equal(THREADS);
    expect(
      value('temporal_workflow_completed', {
        task_queue: config.taskQueue,
        workflow_type: 'trainingWorkflow',
      }),
    ).to.equal(1);

    // The pipeline's own metrics.
    expect(value('traffic_ml_trials_total', { status: 'completed' })).to.equal(TRIALS);
    expect(value('traffic_ml_trials_total', { status: 'failed' })).to.equal(0);
    expect(value('traffic_ml_trials_total', { status: 'pruned' })).to.equal(0);
    expect(value('traffic_ml_trial_duration_seconds_count', { status: 'completed' })).to.equal(TRIALS);
    // Each attempt's wall time covers its training time.
    const trainSeconds = result.search!.leaderboard.reduce((s, t) => s + t.trainMs / 1000, 0);
    expect(value('traffic_ml_trial_duration_seconds_sum', { status: 'completed' })).to.be.at.least(
      trainSeconds,
    );
    expect(histogramIsCumulative(samples, 'traffic_ml_trial_duration_seconds_bucket', TRIALS)).to.equal(true);
    // One worker process loads the prepared set once; every other trial finds it in the cache.
    expect(value('traffic_ml_dataset_cache_requests_total', { result: 'miss' })).to.equal(1);
    expect(value('traffic_ml_dataset_cache_requests_total', { result: 'hit' })).to.equal(TRIALS - 1);
    expect(value('traffic_ml_registry_versions_created_total', { model: 'traffic-test' })).to.equal(
      result.registration!.versions.length,
    );
    expect(value('process_resident_memory_bytes')).to.be.greaterThan(0);

    worker.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(workerOutput()).to.include('worker: stopped');
  });
});

/** Polls GET /healthz until it answers 200 (the workers poll their queues); fails if the worker exits first. */
async function waitUntilHealthy(url: string, exited: Promise<number | null>): Promise<string> {
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  for (;;) {
    if (gone !== undefined) throw new Error(`worker exited with ${gone} before it was healthy`);
    const response = await fetch(url).catch(() => undefined);
    if (response?.status === 200) return response.text();
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The `le` buckets of a histogram count up to its total, ending with +Inf. */
function histogramIsCumulative(samples: PromSample[], bucketName: string, total: number): boolean {
  const counts = samples
    .filter((s) => s.name === bucketName && s.labels.status === 'completed')
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value }))
    .sort((a, b) => a.le - b.le);
  return (
    counts.length > 1 &&
    counts.every((c, i) => i === 0 || c.count >= counts[i - 1].count) &&
    counts.at(-1)!.le === Infinity &&
    counts.at(-1)!.count === total
  );
}
