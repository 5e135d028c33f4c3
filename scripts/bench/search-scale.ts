/**
 * A search of thousands of trials through a Temporal dev server: does every run's history stay under the
 * server's warning thresholds (10,240 events, 10 MB; limit.historyCount.warn / limit.historySize.warn), and
 * every payload under the 512 KB blob warning? Trials are synthetic (test/support/curve-trial.ts: an
 * instant validation curve, ASHA and the model bound honoured), so this measures orchestration and history
 * only; the real workflow, sampler, trial table activity (file store) and continue-as-new run.
 *
 *   npm run -s build && node dist/scripts/bench/search-scale.js [--trials 5000] [--parallelism 16]
 *     [--sampler tpe|random] [--reproducible true|false] [--trial-ms 0] [--json]
 *
 * With --trial-ms (mean of exponentially distributed trial durations) it also measures what reproducible
 * mode costs in trials per minute: trial i waits for trials 0 … i − parallelism.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { appendTrialTableWith, readTrialTable } from '../../src/activities/trial-table';
import { workflowBundle } from '../../src/runtime/workflow-bundle';
import { openBlobStore } from '../../src/storage/from-uri';
import { createRng } from '../../src/search/search-space';
import { searchWorkflow } from '../../src/workflows/search';
import type { AppendTrialTableInput, RunTrialInput, SearchResult } from '../../src/contracts';
import { curveTrial } from '../../test/support/curve-trial';
import { trialActivitiesOf } from '../../test/support/trial-batch-of';
import { scheduledTrialIds } from './history-trials';
import { cleanupAll, installSignalHandlers, onCleanup } from './cleanup';
import { startDevServer } from './server';
import { progress, round } from './stats';

const WARN = { events: 10_240, bytes: 10 * 2 ** 20, payloadBytes: 512 * 2 ** 10 };

export interface RunHistory {
  runId: string;
  events: number;
  bytes: number;
  /** The server's own count, from the last workflow task started event. */
  serverHistoryBytes: number;
  trialsStarted: number;
  largestPayloadBytes: number;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function payloadBytes(event: HistoryEvent): number {
  let largest = 0;
  const visit = (value: unknown): void => {
    if (!value || typeof value !== 'object') return;
    const payload = value as { data?: Uint8Array; metadata?: unknown };
    if (payload.data instanceof Uint8Array && payload.metadata)
      largest = Math.max(largest, payload.data.length);
    for (const v of Object.values(value)) visit(v);
  };
  visit(event);
  return largest;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '5000' },
      parallelism: { type: 'string', default: '16' },
      sampler: { type: 'string', default: 'tpe' },
      reproducible: { type: 'string', default: 'true' },
      'trial-ms': { type: 'string', default: '0' },
      json: { type: 'boolean', default: false },
    },
  });
  const trials = Number(values.trials);
  const parallelism = Number(values.parallelism);
  const sampler = values.sampler === 'random' ? 'random' : 'tpe';
  const reproducible = values.reproducible !== 'false';
  // Trial durations vary as real ones do (exponential, this mean), so a slow trial can hold up the window.
  const trialMs = Number(values['trial-ms']);
  const rng = createRng(7);
  const runTrial = async (i: RunTrialInput) => {
    if (trialMs > 0) await new Promise((r) => setTimeout(r, -Math.log(1 - rng.next()) * trialMs));
    return curveTrial(i);
  };
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  installSignalHandlers();

  const server = await startDevServer();
  const artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
  onCleanup(`artifacts ${artifactsDir}`, () => fs.rmSync(artifactsDir, { recursive: true, force: true }));
  const artifacts = openBlobStore(`file://${artifactsDir}`, {});
  const connection = await NativeConnection.connect({ address: server.address });
  onCleanup('worker connection', () => connection.close());
  const suffix = Date.now().toString(36);
  const taskQueue = `scale-main-${suffix}`;
  const trialTaskQueue = `scale-trials-${suffix}`;
  const main = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: { appendTrialTable: (i: AppendTrialTableInput) => appendTrialTableWith({ artifacts }, i) },
  });
  const trialWorker = await Worker.create({
    connection,
    taskQueue: trialTaskQueue,
    maxConcurrentActivityTaskExecutions: parallelism,
    activities: trialActivitiesOf(runTrial),
  });

  const workflowId = `scale-search-${suffix}`;
  progress(
    `search of ${trials} synthetic trials (${sampler}, ASHA, reproducible ${reproducible}, parallelism ${parallelism}, mean trial ${trialMs} ms)`,
  );
  const started = performance.now();
  const result: SearchResult = await trialWorker.runUntil(
    main.runUntil(
      server.client.workflow.execute(searchWorkflow, {
        taskQueue,
        workflowId,
        args: [
          {
            datasetRef: 'synthetic',
            datasetHash: 'synthetic',
            trials,
            top: 2,
            parallelism,
            seed: 42,
            engine: 'native',
            earlyStoppingRounds: 0,
            strategy: { sampler, pruning: 'asha', reproducible },
            trialTaskQueue,
          },
        ],
      }),
    ),
  );
  const wallMs = performance.now() - started;

  const runs: RunHistory[] = [];
  let runId: string | undefined = (await server.client.workflow.getHandle(workflowId).describe()).raw
    .workflowExecutionInfo?.firstRunId as string | undefined;
  while (runId) {
    const history = await server.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    let serverHistoryBytes = 0;
    let largestPayloadBytes = 0;
    let trialsStarted = 0;
    let next: string | undefined;
    for (const e of events) {
      const size = Number(e.workflowTaskStartedEventAttributes?.historySizeBytes ?? 0);
      serverHistoryBytes = Math.max(serverHistoryBytes, size);
      largestPayloadBytes = Math.max(largestPayloadBytes, payloadBytes(e));
      trialsStarted += scheduledTrialIds(e)?.length ?? 0;
      const continued = e.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (continued) next = continued;
    }
    runs.push({
      runId,
      events: events.length,
      bytes: temporal.api.history.v1.History.encode(history).finish().length,
      serverHistoryBytes,
      trialsStarted,
      largestPayloadBytes,
    });
    runId = next;
  }
  const table = await readTrialTable(artifacts, result.trialTableRef!);
  const report = {
    trials,
    parallelism,
    sampler,
    reproducible,
    trial_ms: trialMs,
    wall_s: round(wallMs / 1000),
    trials_per_minute: round((trials / wallMs) * 60_000),
    counts: result.counts,
    trial_table_rows: table.length,
    result_bytes: Buffer.byteLength(JSON.stringify(result)),
    runs: runs.length,
    max_events: Math.max(...runs.map((r) => r.events)),
    max_history_bytes: Math.max(...runs.map((r) => r.bytes)),
    max_payload_bytes: Math.max(...runs.map((r) => r.largestPayloadBytes)),
    warn_thresholds: WARN,
    under_thresholds: runs.every(
      (r) => r.events < WARN.events && r.bytes < WARN.bytes && r.largestPayloadBytes < WARN.payloadBytes,
    ),
    per_run: runs,
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    console.log(
      `${trials} trials in ${report.wall_s} s (${report.trials_per_minute}/min), ${runs.length} runs; ` +
        `counts ${JSON.stringify(result.counts)}; trial table ${table.length} rows; result ${report.result_bytes} B`,
    );
    console.log('run  events  history bytes  server bytes  trials  largest payload');
    runs.forEach((r, i) =>
      console.log(
        `${String(i + 1).padStart(3)}  ${String(r.events).padStart(6)}  ${String(r.bytes).padStart(13)}  ` +
          `${String(r.serverHistoryBytes).padStart(12)}  ${String(r.trialsStarted).padStart(6)}  ${r.largestPayloadBytes}`,
      ),
    );
    console.log(
      `warning thresholds: ${WARN.events} events, ${WARN.bytes} B history, ${WARN.payloadBytes} B payload: ` +
        (report.under_thresholds ? 'every run under them' : 'EXCEEDED'),
    );
  }
}

main()
  .catch((err: unknown) => {
    console.error(`search-scale: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
