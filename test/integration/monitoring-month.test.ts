import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { startRetrainCheck } from '../../src/cli/retrain-run';
import type { AppConfig } from '../../src/config';
import { monitoringKeys } from '../../src/monitoring/monitoring-keys';
import type { MonitoringRecord } from '../../src/monitoring/monitoring-record';
import { readMonitoringRecords } from '../../src/monitoring/record-reader';
import { ModelRegistry } from '../../src/registry/model-registry';
import { renderMonitorReport } from '../../src/report/render-monitor-report';
import { startService } from '../../src/serve/service';
import type { BlobStore } from '../../src/storage/blob-store';
import { openBlobStore } from '../../src/storage/from-uri';
import { monitorBackfillWorkflow } from '../../src/workflows/monitor-backfill';
import { dashboardQueries, substituteGrafanaMacros } from '../support/grafana-queries';
import {
  FILE_PREFIX,
  retrainInput,
  SAMPLE_DIR,
  tempDir,
  testConfig,
  uploadSample,
  useDevServerAndS3,
} from '../support/pipeline-harness';
import { startPostgresForTests, type TestPostgres } from '../support/postgres';
import { openReportPage } from '../support/report-page';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { startWorkerProcess, stopped } from '../support/worker-process';

const MODEL = 'traffic-monitor';
const DRIFT_FROM = '2016-06-15';
const FROM = '2016-05-01';
const TO = '2016-06-30';
const ROOT = path.resolve(__dirname, '../../..');

/** The sample's 2016 file with its temperatures 40 K lower from DRIFT_FROM on (a sensor switched to °C-ish). */
function driftedYear(): string {
  const lines = fs.readFileSync(path.join(SAMPLE_DIR, `${FILE_PREFIX}_2016.csv`), 'utf8').split('\n');
  const header = lines[0].split(',');
  const temp = header.indexOf('temp');
  const when = header.indexOf('date_time');
  return lines
    .map((line, i) => {
      const cells = line.split(',');
      if (i === 0 || cells.length !== header.length || cells[when].slice(0, 10) < DRIFT_FROM) return line;
      cells[temp] = (Number(cells[temp]) - 40).toFixed(2);
      return cells.join(',');
    })
    .join('\n');
}

describe('a simulated month of monitoring with drift injected in one column (dev server, moto, Postgres, worker processes)', function () {
  this.timeout(20 * 60_000);
  const infra = useDevServerAndS3();
  let postgres: TestPostgres;
  let dbUrl: string;
  let receiver: WebhookReceiver;
  let config: AppConfig;
  let artifacts: BlobStore;
  let workerEnv: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];
  let records: MonitoringRecord[];
  let db: pg.Client;
  let killedMidway = false;

  before(async () => {
    postgres = await startPostgresForTests();
    dbUrl = await postgres.freshDatabase();
    // The receiver refuses its first three requests: delivery retries through them.
    receiver = await startWebhookReceiver(3);
    config = testConfig({
      dataUri: infra.s3.uri('monitor-data'),
      artifactsUri: infra.s3.uri('monitor-artifacts'),
      s3: infra.s3.options,
    });
    artifacts = openBlobStore(config.artifactsUri, config.s3);
    workerEnv = {
      S3_ENDPOINT: infra.s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_REGION: 'us-east-1',
      MONITORING_DATABASE_URL: dbUrl,
      ALERT_WEBHOOK_URL: receiver.url,
    };
    children.push(await startWorkerProcess(infra.env, config, workerEnv));

    // The champion: trained by a retraining check on 2012–2015 (validation 2015), never on 2016.
    await uploadSample(config.dataUri, config, [2012, 2013, 2014, 2015]);
    const first = await (
      await startRetrainCheck(infra.env.client, config, retrainInput(config, MODEL))
    ).result();
    expect(first.training?.championVersion).to.equal(1);
    await openBlobStore(config.dataUri, config.s3).put(`${FILE_PREFIX}_2016.csv`, driftedYear());

    // Two months served by the real prediction service, which logs what it served.
    const service = await startService(
      {
        host: '127.0.0.1',
        port: 0,
        modelName: MODEL,
        bodyLimit: 10_000_000,
        pollMs: 60_000,
        predictionLog: true,
        logFlushRows: 100_000,
        logFlushMs: 600_000,
        logLevel: 'silent',
      },
      artifacts,
    );
    const header = driftedYear().split('\n')[0].split(',');
    const served = driftedYear()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .filter((c) => c.length === header.length && c[header.indexOf('date_time')].slice(0, 10) >= FROM)
      .map((c) => {
        const o = Object.fromEntries(header.map((h, i) => [h, c[i]]));
        delete o.traffic_volume;
        delete o.weather_description;
        return o;
      });
    const response = await fetch(`${service.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(served),
    });
    expect(response.status, await response.clone().text()).to.equal(200);
    await service.close();

    // The backfill of the two months; the worker is killed while June is being written.
    const handle = await infra.env.client.workflow.start(monitorBackfillWorkflow, {
      taskQueue: config.taskQueue,
      workflowId: `monitor-backfill-${MODEL}`,
      args: [
        {
          modelName: MODEL,
          dataUri: config.dataUri,
          filePrefix: FILE_PREFIX,
          from: FROM,
          to: TO,
          alertOnRecords: true,
        },
      ],
    });
    const june = monitoringKeys.dayRecord(MODEL, '2016-06-02');
    for (let i = 0; i < 1200 && !killedMidway; i++) {
      if (await artifacts.head(june)) {
        children[0].kill('SIGKILL');
        await stopped(children[0]);
        killedMidway = !(await artifacts.head(monitoringKeys.dayRecord(MODEL, TO)));
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    children.push(await startWorkerProcess(infra.env, config, workerEnv));
    const result = await handle.result();
    expect(result).to.deep.include({
      days: 61,
      records: 61,
      chunks: 2,
      championVersion: 1,
      database: 'written',
    });
    records = await readMonitoringRecords(artifacts, MODEL, { from: FROM, to: TO });
    db = new pg.Client({ connectionString: dbUrl });
    await db.connect();
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await db?.end();
    await receiver?.close();
    await postgres?.stop();
  });

  it('the worker was killed mid-way through the backfill', () => {
    expect(killedMidway, 'June was still being written when the worker was killed').to.equal(true);
  });

  it('writes one record a day; temp stands out from the day it drifted and not before', () => {
    expect(records.map((r) => r.day)).to.have.length(61);
    const temp = (r: MonitoringRecord) => r.columns.find((c) => c.column === 'temp')!;
    const before = records.filter((r) => r.day < DRIFT_FROM);
    const after = records.filter((r) => r.day >= DRIFT_FROM);
    expect(before.filter((r) => temp(r).drifted).map((r) => r.day)).to.deep.equal([]);
    expect(after.filter((r) => !temp(r).drifted).map((r) => r.day)).to.deep.equal([]);
    expect(after.every((r) => r.worst?.column === 'temp')).to.equal(true);
    const calmMax = Math.max(...before.map((r) => temp(r).ratio));
    expect(Math.min(...after.map((r) => temp(r).ratio))).to.be.greaterThan(2 * calmMax);
    for (const r of records) {
      expect(r.columnSource).to.equal('prediction-log');
      expect(r.counts.served).to.be.greaterThan(0);
      expect(r.predictionDrift?.rows).to.equal(r.counts.served);
      expect(r.liveAccuracy.byVersion.map((v) => v.version)).to.deep.equal([1]);
      expect(r.championOnDay?.fittedOn).to.equal(false);
    }
  });

  it('has the same rows in Postgres, each once, and the dashboard queries show the drift', async () => {
    const one = async (sql: string) => (await db.query(sql)).rows[0] as Record<string, string>;
    expect(
      Number(
        (await one(`SELECT count(*) AS n FROM monitoring_days WHERE day BETWEEN '${FROM}' AND '${TO}'`)).n,
      ),
    ).to.equal(61);
    expect(
      Number(
        (
          await one(
            `SELECT count(*) AS n FROM monitoring_column_drift WHERE day BETWEEN '${FROM}' AND '${TO}'`,
          )
        ).n,
      ),
    ).to.equal(61 * 7);
    const drifted = (
      await db.query(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day FROM monitoring_column_drift WHERE column_name = 'temp' AND drifted ORDER BY day`,
      )
    ).rows.map((r: { day: string }) => r.day);
    expect(drifted[0]).to.equal(DRIFT_FROM);
    expect(drifted).to.have.length(16);
    const promotions = await one(`SELECT count(*) AS n FROM monitoring_promotions WHERE model = '${MODEL}'`);
    expect(Number(promotions.n)).to.be.greaterThanOrEqual(1);
    const dashboard = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'deploy/grafana/dashboards/traffic-ml-monitoring.json'), 'utf8'),
    ) as unknown;
    for (const q of dashboardQueries(dashboard)) {
      if (q.panel.startsWith('annotation')) continue; // promotions happened today, not in 2016
      const sql = substituteGrafanaMacros(q.sql, {
        from: `${FROM}T00:00:00Z`,
        to: `${TO}T23:59:59Z`,
        variables: { model: MODEL },
      });
      expect((await db.query(sql)).rows.length, q.panel).to.be.greaterThan(0);
    }
  });

  it('sent one drift alert per drifted day, through a receiver that refused at first, none twice', () => {
    const ids = receiver.received.map((a) => String(a.id));
    expect(new Set(ids).size, 'distinct alerts').to.equal(ids.length);
    const tempDays = receiver.received
      .filter((a) => a.cause === 'drift-temp')
      .map((a) => String(a.day))
      .sort();
    expect(tempDays).to.have.length(16);
    expect(tempDays[0]).to.equal(DRIFT_FROM);
    expect(receiver.requests).to.be.greaterThan(receiver.received.length);
  });

  it('a retraining check writes its day again and sends no alert already sent that day', async () => {
    const sent = receiver.received.length;
    const check = await (
      await startRetrainCheck(infra.env.client, config, {
        ...retrainInput(config, MODEL),
        monitorDay: '2016-06-20',
      })
    ).result();
    expect(check.monitoring).to.deep.include({ day: '2016-06-20', records: 1 });
    const causes = receiver.received.slice(sent).map((a) => String(a.cause));
    expect(causes).to.not.include('drift-temp');
    const history = await new ModelRegistry(artifacts).aliasHistory(MODEL, 'champion');
    if (history.length > 1) expect(causes).to.include(`promoted-v${history[history.length - 1].version}`);
  });

  it('renders a report in Chromium where temp stands out from the drift day', async () => {
    const html = await renderMonitorReport({
      modelName: MODEL,
      records,
      generatedAt: new Date().toISOString(),
    });
    const file = path.join(tempDir('monitor-report'), 'monitor.html');
    fs.writeFileSync(file, html);
    const view = await openReportPage(file);
    try {
      for (const id of [
        'drift-heatmap',
        'drift-ratio',
        'numeric-distance',
        'categorical-distance',
        'prediction-target-drift',
        'accuracy',
        'rows',
      ]) {
        const svg = view.page.locator(`figure[data-chart="${id}"] svg`);
        expect(await svg.count(), `chart ${id}`).to.equal(1);
        expect(await svg.locator('path, rect, line').count(), `marks of ${id}`).to.be.greaterThan(5);
      }
      expect(await view.page.locator('.tiles').innerText()).to.include(`temp from ${DRIFT_FROM}`);
      expect(view.errors).to.deep.equal([]);
      expect(view.blockedRequests).to.deep.equal([]);
    } finally {
      await view.close();
    }
  });
});
