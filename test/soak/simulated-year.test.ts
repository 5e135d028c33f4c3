/**
 * A year of daily retraining checks on a real dev server, a real worker process and a moto S3 server, while
 * the bucket changes on a plan (test/soak/year-plan.ts) and faults are injected: a paused store, a killed
 * worker, two checks at once. `npm run test:soak`; `.ci/run` runs it after `npm test`.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { startRetrainCheck } from '../../src/cli/retrain-run';
import { DEFAULT_ENSEMBLE, DEFAULT_REFIT } from '../../src/cli/training-options';
import { DEFAULT_FEATURE_SET } from '../../src/features/feature-pipeline';
import type { AppConfig } from '../../src/config';
import { ModelRegistry } from '../../src/registry/model-registry';
import { openBlobStore } from '../../src/storage/from-uri';
import type { BlobStore } from '../../src/storage/blob-store';
import { searchProgressQuery } from '../../src/workflows/search';
import type {
  ModelComparison,
  RefreshRecordResult,
  RetrainCheckInput,
  RetrainCheckResult,
  TrainingResult,
} from '../../src/contracts';
import { FILE_PREFIX, retrainInput, testConfig } from '../support/pipeline-harness';
import { startPausableS3, type PausableS3 } from '../support/s3-server';
import { devServerEnv } from '../support/temporal';
import { startWorkerProcess, stopped } from '../support/worker-process';
import { DAYS, expectedDecisions, judgeYear, planFor, PLAN, type DayEvent } from './year-plan';
import { brokenHeader, fullYear, withBadRows, yearThrough } from './year-data';

const MODEL = 'soak-model';
/** Longer than the commit's retries: 5 attempts 2–16 s apart, each 3 SDK tries of 2 s (S3_REQUEST_TIMEOUT_MS). */
const OUTAGE_MS = 90_000;

interface DayRecord {
  day: number;
  checkId: string;
  event: string;
  decision: string;
  retrained: boolean;
  trainingWorkflowId?: string;
  datasetHash?: string;
  versions?: number[];
  championDecision?: string;
  stateCommitted?: boolean;
  reasons: string[];
  error?: string;
  /** The check's champion decision with its work (a challenger's re-comparison or the training's registration). */
  comparison?: ModelComparison;
  refreshRecord?: RefreshRecordResult;
}

describe('a simulated year of daily retraining checks (dev server, worker process, moto S3)', function () {
  this.timeout(3 * 60 * 60_000);
  let env: TestWorkflowEnvironment;
  let s3: PausableS3;
  let config: AppConfig;
  let client: Client;
  let data: BlobStore;
  let worker: ChildProcess;
  const faults: string[] = [];
  const records: DayRecord[] = [];

  const startWorker = () =>
    startWorkerProcess(env, config, {
      S3_ENDPOINT: s3.endpoint,
      S3_REQUEST_TIMEOUT_MS: '2000',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
    });

  before(async () => {
    [env, s3] = await Promise.all([devServerEnv(), startPausableS3()]);
    config = testConfig({ dataUri: s3.uri('data'), artifactsUri: s3.uri('artifacts'), s3: s3.options });
    client = env.client as unknown as Client;
    data = openBlobStore(config.dataUri, config.s3);
    worker = await startWorker();
  });
  after(async () => {
    s3?.resume();
    worker?.kill('SIGKILL');
    if (worker) await stopped(worker);
    await env?.teardown();
    await s3?.stop();
  });

  const checkInput = (): RetrainCheckInput => {
    const base = retrainInput(config, MODEL);
    const { params: _fixed, ...training } = base.training;
    return {
      ...base,
      // The defaults a user's `retrain-check` gets (v2 features, refit, ensemble), with a tiny search.
      training: {
        ...training,
        trials: 2,
        top: 1,
        parallelism: 2,
        features: DEFAULT_FEATURE_SET,
        refit: DEFAULT_REFIT,
        ensemble: DEFAULT_ENSEMBLE,
      },
      policy: { retrainOnDrift: true, retrainOnDecay: false, psiThreshold: 0.2, decayRatio: 1.25 },
      trigger: 'schedule',
    };
  };

  const put = (year: number, text: string) => data.put(`${FILE_PREFIX}_${year}.csv`, text);

  /** The same bytes under a new ETag: a one-part multipart upload's ETag is `md5(md5)-1`, not `md5`. */
  async function reuploadAsMultipart(year: number): Promise<void> {
    const key = `data/${FILE_PREFIX}_${year}.csv`;
    const body = await data.get(`${FILE_PREFIX}_${year}.csv`);
    const admin = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
    try {
      const { UploadId } = await admin.send(
        new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: key }),
      );
      const part = await admin.send(
        new UploadPartCommand({ Bucket: s3.bucket, Key: key, UploadId, PartNumber: 1, Body: body }),
      );
      await admin.send(
        new CompleteMultipartUploadCommand({
          Bucket: s3.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
        }),
      );
    } finally {
      admin.destroy();
    }
  }

  async function applyEvent(event: DayEvent): Promise<void> {
    switch (event.kind) {
      case 'initial':
        for (const year of event.fullYears) await put(year, fullYear(year));
        await put(event.currentYear, yearThrough(event.currentYear, event.throughMonth));
        return;
      case 'append':
        await put(event.year, yearThrough(event.year, event.throughMonth, event.driftedMonth));
        return;
      case 'new-year':
        await put(
          event.year,
          event.throughMonth ? yearThrough(event.year, event.throughMonth) : fullYear(event.year),
        );
        return;
      case 'same-bytes-new-etag':
        await reuploadAsMultipart(event.year);
        return;
      case 'broken-header':
        await put(event.year, brokenHeader(fullYear(event.year)));
        return;
      case 'bad-rows':
        await put(event.year, withBadRows(fullYear(event.year), event.every).text);
        return;
      case 'restore':
        await put(event.year, fullYear(event.year));
        return;
    }
  }

  async function settle(checkId: string, day: number, event: string): Promise<DayRecord> {
    const handle = client.workflow.getHandle(checkId);
    try {
      const r = (await handle.result()) as RetrainCheckResult;
      return {
        day,
        checkId,
        event,
        decision: r.decision,
        retrained: r.retrained,
        trainingWorkflowId: r.trainingWorkflowId,
        datasetHash: r.training?.datasetHash,
        versions: r.training?.versions,
        championDecision: r.training?.championDecision,
        stateCommitted: r.stateCommitted,
        reasons: r.reasons,
        ...(r.comparison ? { comparison: r.comparison } : {}),
        ...(r.refreshRecord ? { refreshRecord: r.refreshRecord } : {}),
      };
    } catch (err) {
      const chain = failureChain(err);
      return {
        day,
        checkId,
        event,
        decision: `failed: ${chain.type}${chain.activity ? ` in ${chain.activity}` : ''}`,
        retrained: false,
        reasons: [],
        error: chain.text,
      };
    }
  }

  const start = (checkId: string) => startRetrainCheck(client, config, checkInput(), checkId);

  it('runs 365 daily checks on the plan, with faults, and never trains twice on the same data or gets stuck', async () => {
    for (let day = 1; day <= DAYS; day++) {
      const event = planFor(day);
      if (event) await applyEvent(event);
      const label = event?.label ?? '';
      const checkId = `soak-day-${String(day).padStart(3, '0')}`;
      const fault = PLAN.faults[day];

      if (fault === 'two-checks-at-once') {
        await Promise.all([start(`${checkId}a`), start(`${checkId}b`)]);
        records.push(
          ...(await Promise.all([settle(`${checkId}a`, day, label), settle(`${checkId}b`, day, label)])),
        );
        faults.push(`day ${day}: two checks of one new data state started at once`);
        continue;
      }
      await start(checkId);
      if (fault === 'store-outage-at-commit') {
        // Pause the store the moment the training child completes: the commit meets a store that does not answer.
        await waitForEvent(client, checkId, (e) => !!e.childWorkflowExecutionCompletedEventAttributes);
        s3.pause();
        const pausedAt = Date.now();
        const record = await settle(checkId, day, label);
        await sleep(OUTAGE_MS - (Date.now() - pausedAt));
        s3.resume();
        records.push(record);
        faults.push(
          `day ${day}: S3 server paused (SIGSTOP) for ${OUTAGE_MS / 1000} s as the training completed`,
        );
        continue;
      }
      if (fault === 'kill-worker-mid-training') {
        const search = await runningSearchOf(client, checkId);
        worker.kill('SIGKILL');
        await stopped(worker);
        worker = await startWorker();
        faults.push(`day ${day}: worker SIGKILLed with trials of ${search} running; a new worker started`);
      }
      records.push(await settle(checkId, day, label));
      if (event || fault || day % 30 === 0)
        console.log(`  day ${day}: ${records[records.length - 1].decision}`);
    }

    const trainings = await completedTrainings(client);
    const registry = new ModelRegistry(openBlobStore(config.artifactsUri, config.s3));
    const versions = await registry.listVersions(MODEL);
    const taskFailures = await countWorkflowTaskFailures(client);
    const summary = summarise(records, trainings, versions.length, faults, taskFailures);
    console.log(summary.text);
    fs.mkdirSync('.test-output', { recursive: true });
    fs.writeFileSync(
      path.join('.test-output', 'soak-year.json'),
      JSON.stringify({ ...summary.json, records }, null, 2),
    );

    // Every day of the year has a record, and each day's decision is exactly the documented one for what the plan
    // did that day (a planned failure names its error type and, for an activity, which one), and the day after a
    // fault recovers. Guards: a missing day used to pass (no record: nothing to compare), and any failure type
    // used to match `failed: `.
    const { missing, mismatches } = judgeYear(expectedDecisions(), records);
    expect(missing, 'days without a record').to.deep.equal([]);
    expect(mismatches, mismatches.join('\n')).to.deep.equal([]);

    // Every distinct training data set was trained exactly once for new data.
    const dataTrainings = trainings.filter((t) => t.trigger === 'retrain');
    const byHash = countBy(dataTrainings.map((t) => t.datasetHash));
    expect(
      [...byHash.entries()].filter(([, n]) => n > 1),
      'data sets trained twice',
    ).to.deep.equal([]);
    // Drift-triggered runs only while the newest file holds the drifted month, one per data state.
    for (const t of trainings.filter((x) => x.trigger !== 'retrain')) {
      expect(
        PLAN.driftDays.includes(t.startedOnDay),
        `${t.workflowId} started on day ${t.startedOnDay}`,
      ).to.equal(true);
    }
    expect(trainings.filter((t) => t.trigger !== 'retrain')).to.have.length(1);

    // No duplicate registry version for identical data: versions of one data set come from one data-triggered
    // training (a drift run adds one only when it beat the champion), and no model is registered twice.
    for (const [hash] of byHash) {
      const runs = new Set(versions.filter((v) => v.datasetHash === hash).map((v) => v.trainingWorkflowId));
      const dataRuns = [...runs].filter((id) => dataTrainings.some((t) => t.workflowId === id));
      expect(dataRuns.length, `versions of data set ${hash}`).to.be.at.most(1);
    }
    expect(new Set(versions.map((v) => v.modelRef)).size).to.equal(versions.length);

    // No automatic promotion made the champion worse, judged on rows neither model was fitted on: every promotion
    // (at registration or of a standing challenger by a later check) carries a comparison on rows dated after both
    // models' trainedThrough, with enough days, whose interval of the RMSE difference lies below zero. Guards: the
    // champion used to be re-scored on (or judged by its recorded RMSE on) rows it had been refitted on.
    // The window rule holds for every comparison made on rows (promoted, kept or deferred), not only for
    // promotions: a year with no promotion would otherwise pass whatever rows the champion was judged on.
    const startsAfterBoth = (by: string, c: ModelComparison) => {
      const champion = versions.find((v) => v.version === c.champion.version);
      const challenger = versions.find((v) => v.version === c.challenger.version);
      const championThrough = champion?.trainedThrough ?? '';
      // At registration the challenger is the candidate as selected (before its refit).
      const challengerThrough = challenger?.selected?.trainedThrough ?? challenger?.trainedThrough ?? '';
      expect(championThrough, `${by}: champion v${c.champion.version} records trainedThrough`).to.not.equal(
        '',
      );
      expect(
        c.from > championThrough && c.from > challengerThrough,
        `${by}: ${c.from} is after both`,
      ).to.equal(true);
    };
    const comparisons: { by: string; comparison?: ModelComparison }[] = [
      ...trainings.map((t) => ({ by: t.workflowId, comparison: t.result.registration?.champion.comparison })),
      ...records.map((r) => ({ by: r.checkId, comparison: r.comparison })),
    ];
    const onRows = comparisons.filter((p) => p.comparison !== undefined && p.comparison.rows > 0);
    expect(onRows.length, 'comparisons made on rows in the year').to.be.greaterThan(0);
    for (const p of onRows) startsAfterBoth(p.by, p.comparison as ModelComparison);

    const promotions = [
      ...trainings
        .filter((t) => t.result.registration?.champion.decision === 'promoted')
        .map((t) => ({ by: t.workflowId, comparison: t.result.registration?.champion.comparison })),
      ...records
        .filter((r) => r.comparison?.decision === 'promoted' && !r.trainingWorkflowId)
        .map((r) => ({ by: r.checkId, comparison: r.comparison })),
    ];
    for (const p of promotions) {
      const c = p.comparison;
      expect(c, `${p.by}: a promotion without a comparison`).to.not.equal(undefined);
      if (!c) continue;
      startsAfterBoth(p.by, c);
      expect(c.days, `${p.by}: days compared`).to.be.at.least(14);
      expect(c.difference.high, `${p.by}: upper bound of the difference`).to.be.lessThan(0);
    }
    // The refresh record: every record made on rows (promoted or not) pairs each row with two models fitted before
    // it (each pair's first row after both); a promotion by it had enough days, the refits better beyond noise, and
    // promoted the newest refit. Guards the record against judging a model on rows it was fitted on.
    const through = (v: number) => versions.find((x) => x.version === v)?.trainedThrough ?? '';
    for (const r of records.filter((x) => (x.refreshRecord?.record?.rows ?? 0) > 0)) {
      for (const pair of r.refreshRecord?.record?.pairs ?? []) {
        expect(through(pair.refit), `${r.checkId}: v${pair.refit} records trainedThrough`).to.not.equal('');
        expect(
          pair.from > through(pair.refit) && pair.from > through(pair.yearModel),
          `${r.checkId}: pair v${pair.refit}/v${pair.yearModel} from ${pair.from} is after both`,
        ).to.equal(true);
      }
    }
    for (const r of records.filter((x) => x.refreshRecord?.outcome === 'promoted')) {
      const record = r.refreshRecord?.record;
      expect(record, `${r.checkId}: a refresh-record promotion without its record`).to.not.equal(undefined);
      if (!record) continue;
      expect(record.days, `${r.checkId}: days in the record`).to.be.at.least(14);
      expect(record.difference.high, `${r.checkId}: upper bound of the difference`).to.be.lessThan(0);
      const promoted = through(r.refreshRecord?.candidateVersion ?? 0);
      expect(
        record.pairs.every((p) => through(p.refit) <= promoted),
        `${r.checkId}: v${r.refreshRecord?.candidateVersion} is the newest refit`,
      ).to.equal(true);
    }
    expect(taskFailures, 'WorkflowTaskFailed events in the histories').to.deep.equal([]);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function countBy(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}

/** Temporal's wrappers around the failure that says what went wrong. */
const WRAPPERS = new Set([
  'WorkflowFailedError',
  'ChildWorkflowFailure',
  'ActivityFailure',
  'TemporalFailure',
  'ApplicationFailure',
]);

/**
 * The failure's innermost type (ApplicationFailure type or error name), the innermost activity it came from, and
 * every message along the chain.
 */
function failureChain(err: unknown): { type: string; activity?: string; text: string } {
  const parts: string[] = [];
  let type = 'Error';
  let activity: string | undefined;
  for (let e: unknown = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    const f = e as Error & { type?: string; activityType?: string; workflowType?: string };
    const what = f.activityType ?? f.workflowType ?? '';
    parts.push(`${e.name}${what ? `(${what})` : ''}: ${e.message}`);
    if (f.activityType) activity = f.activityType;
    if (f.type) type = f.type;
    else if (!WRAPPERS.has(e.name)) type = e.name;
  }
  return { type, ...(activity ? { activity } : {}), text: parts.join(' ← ') };
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Long-polls a workflow's history until an event matches: it returns as soon as the server appends one. */
async function waitForEvent(
  client: Client,
  workflowId: string,
  match: (e: HistoryEvent) => boolean,
): Promise<void> {
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId },
      nextPageToken,
      waitNewEvent: true,
    });
    const events = page.history?.events ?? [];
    if (events.some(match)) return;
    if (
      events.some(
        (e) => !!e.workflowExecutionCompletedEventAttributes || !!e.workflowExecutionFailedEventAttributes,
      )
    ) {
      throw new Error(`${workflowId} closed before the awaited event`);
    }
    if (page.nextPageToken && page.nextPageToken.length > 0) nextPageToken = page.nextPageToken;
  }
}

/** Waits until the check's training has a search with trials running; returns the search's id. */
async function runningSearchOf(client: Client, checkId: string): Promise<string> {
  for (;;) {
    const described = await client.workflow.getHandle(checkId).describe();
    const child = described.raw.pendingChildren?.[0]?.workflowId;
    if (child) {
      const searchId = `${child}-search`;
      const progress = await client.workflow
        .getHandle(searchId)
        .query(searchProgressQuery)
        .catch(() => undefined);
      if (progress && progress.running > 0) return searchId;
    }
    if (described.status.name !== 'RUNNING')
      throw new Error(`${checkId} closed before its training ran a trial`);
    await sleep(50);
  }
}

interface CompletedTraining {
  workflowId: string;
  trigger: string;
  datasetHash: string;
  startedOnDay: number;
  result: TrainingResult;
}

async function completedTrainings(client: Client): Promise<CompletedTraining[]> {
  const out: CompletedTraining[] = [];
  for await (const info of client.workflow.list({
    query: `WorkflowType = 'trainingWorkflow' AND ExecutionStatus = 'Completed'`,
  })) {
    const handle = client.workflow.getHandle(info.workflowId, info.runId);
    const result = (await handle.result()) as TrainingResult;
    const memo = info.memo ?? {};
    const startedBy = String(memo.startedBy ?? '');
    out.push({
      workflowId: info.workflowId,
      trigger:
        memo.retrainTrigger === 'drift' || memo.retrainTrigger === 'decay'
          ? `retrain-${String(memo.retrainTrigger)}`
          : 'retrain',
      datasetHash: result.dataset.datasetHash,
      startedOnDay: Number(/soak-day-(\d+)/.exec(startedBy)?.[1] ?? NaN),
      result,
    });
  }
  return out;
}

/** Every execution in the namespace whose history holds a WorkflowTaskFailed event, with the count. */
async function countWorkflowTaskFailures(client: Client): Promise<string[]> {
  const failed: string[] = [];
  for await (const info of client.workflow.list()) {
    const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
    const n = (history.events ?? []).filter((e) => !!e.workflowTaskFailedEventAttributes).length;
    if (n > 0) failed.push(`${info.workflowId}: ${n}`);
  }
  return failed;
}

function summarise(
  records: DayRecord[],
  trainings: CompletedTraining[],
  versions: number,
  faults: string[],
  taskFailures: string[],
): { text: string; json: Record<string, unknown> } {
  const decisions = countBy(records.map((r) => r.decision));
  const lines = ['', 'Simulated year: the days something happened', ''];
  lines.push('| day | plan | decision | training | data set | versions | state committed |');
  lines.push('| --: | ---- | -------- | -------- | -------- | -------- | --------------- |');
  for (const r of records) {
    if (!r.event && r.decision === 'no-new-data') continue;
    lines.push(
      `| ${r.day} | ${r.event} | ${r.decision} | ${r.trainingWorkflowId?.replace(/^retrain-soak-model-/, '…') ?? ''} | ${r.datasetHash?.slice(0, 10) ?? ''} | ${r.versions?.join(', ') ?? ''} | ${r.stateCommitted === undefined ? '' : r.stateCommitted ? 'yes' : 'no'} |`,
    );
  }
  lines.push('', '| decision | days |', '| -------- | ---: |');
  for (const [d, n] of [...decisions.entries()].sort((a, b) => b[1] - a[1])) lines.push(`| ${d} | ${n} |`);
  const dataTrainings = trainings.filter((t) => t.trigger === 'retrain').length;
  const json = {
    days: DAYS,
    checks: records.length,
    decisions: Object.fromEntries(decisions),
    trainings: { data: dataTrainings, drift: trainings.length - dataTrainings },
    distinctDataSets: new Set(trainings.map((t) => t.datasetHash)).size,
    versions,
    faults,
    workflowTaskFailures: taskFailures.length,
  };
  lines.push('', JSON.stringify(json, null, 2));
  return { text: lines.join('\n'), json };
}
