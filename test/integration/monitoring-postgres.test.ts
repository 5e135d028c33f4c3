import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { generateYear } from '../../src/data/synthetic';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import {
  computeMonitoringRecord,
  dayOf,
  type MonitoringRecord,
} from '../../src/monitoring/monitoring-record';
import { openMonitoringDatabase, type MonitoringDatabase } from '../../src/monitoring/postgres-sink';
import { buildReferenceProfile } from '../../src/monitoring/reference-profile';
import { buildTrainingReference } from '../../src/monitoring/training-reference';
import { dashboardQueries, substituteGrafanaMacros } from '../support/grafana-queries';
import { startPostgresForTests, type TestPostgres } from '../support/postgres';

const ROOT = path.resolve(__dirname, '../../..');

function records(): MonitoringRecord[] {
  const train = parseTrafficCsv({
    text: generateYear({ year: 2013, seed: 1, hoursStep: 1 }),
    file: 'a.csv',
  }).rows;
  const later = parseTrafficCsv({
    text: generateYear({ year: 2015, seed: 2, hoursStep: 1 }),
    file: 'b.csv',
  }).rows;
  const profile = buildReferenceProfile({ rows: train });
  const target = Float64Array.from(train, (r) => r.traffic_volume as number);
  const reference = buildTrainingReference({
    modelName: 'm',
    modelVersion: 1,
    datasetHash: 'h',
    target,
    predictions: target,
  });
  return ['2015-03-01', '2015-03-02', '2015-03-03'].map((day) => {
    const rows = later.filter((r) => dayOf(r) === day);
    return computeMonitoringRecord({
      modelName: 'm',
      day,
      profile,
      reference,
      dataRows: rows,
      served: rows.map((row) => ({
        row,
        date_time: row.date_time.text,
        prediction: (row.traffic_volume as number) + 10,
        version: 1,
        loggedAt: `${day}T12:00:00Z`,
      })),
      championPredictions: rows.map((r) => r.traffic_volume as number),
      badDataRows: 0,
      badLogLines: 0,
    });
  });
}

describe('monitoring records in Postgres (a real server)', function () {
  this.timeout(120_000);
  let server: TestPostgres;
  let url: string;
  let db: MonitoringDatabase;
  let client: pg.Client;

  before(async () => {
    server = await startPostgresForTests();
    url = await server.freshDatabase();
    db = openMonitoringDatabase(url);
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await db?.close();
    await server?.stop();
  });

  it('migrates once: a second opener applies nothing', async () => {
    expect(await db.migrate()).to.deep.equal([1]);
    const again = openMonitoringDatabase(url);
    expect(await again.migrate()).to.deep.equal([]);
    await again.close();
  });

  it('upserts: writing the same records twice leaves one row per day, column and version', async () => {
    const all = records();
    for (const r of all) await db.writeRecord(r);
    for (const r of all) await db.writeRecord(r);
    const count = async (table: string) =>
      Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    expect(await count('monitoring_days')).to.equal(3);
    expect(await count('monitoring_column_drift')).to.equal(3 * 7);
    expect(await count('monitoring_live_accuracy')).to.equal(3);
    const row = (
      await client.query(
        "SELECT served, worst_column, worst_psi, champion_rmse FROM monitoring_days WHERE day = '2015-03-02'",
      )
    ).rows[0] as { served: number; worst_column: string; worst_psi: number; champion_rmse: number };
    expect(row.served).to.equal(24);
    expect(row.worst_column).to.equal(all[1].worst?.column);
    expect(row.worst_psi).to.be.closeTo(all[1].worst?.psi as number, 1e-9);
    expect(row.champion_rmse).to.equal(0);
    const live = (await client.query('SELECT rmse FROM monitoring_live_accuracy ORDER BY day')).rows as {
      rmse: number;
    }[];
    expect(live.map((l) => l.rmse)).to.deep.equal([10, 10, 10]);
  });

  it('records each promotion once', async () => {
    const history = [
      { version: 1, seq: 1, setAt: '2015-03-01T10:00:00Z', action: 'promote' as const, reason: 'first' },
      { version: 2, seq: 2, setAt: '2015-03-02T10:00:00Z', action: 'promote' as const, reason: 'better' },
    ];
    await db.writePromotions('m', 'champion', history);
    await db.writePromotions('m', 'champion', history);
    const rows = (await client.query('SELECT version FROM monitoring_promotions ORDER BY seq')).rows as {
      version: number;
    }[];
    expect(rows.map((r) => r.version)).to.deep.equal([1, 2]);
  });

  it("every query of the provisioned Grafana dashboard runs against the tables and returns the records' data", async () => {
    const dashboard = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'deploy/grafana/dashboards/traffic-ml-monitoring.json'), 'utf8'),
    ) as unknown;
    const queries = dashboardQueries(dashboard);
    expect(queries.length).to.be.greaterThanOrEqual(5);
    for (const q of queries) {
      const sql = substituteGrafanaMacros(q.sql, {
        from: '2015-02-01T00:00:00Z',
        to: '2015-04-01T00:00:00Z',
        variables: { model: 'm' },
      });
      const result = await client.query(sql).catch((err: Error) => {
        throw new Error(`panel "${q.panel}" query failed: ${err.message}\n${sql}`);
      });
      expect(result.rows.length, `rows of panel "${q.panel}"`).to.be.greaterThan(0);
    }
  });

  it('every provisioned alert rule query runs against the tables', async () => {
    const rules = fs.readFileSync(
      path.join(ROOT, 'deploy/grafana/provisioning/alerting/monitoring-rules.yml'),
      'utf8',
    );
    const { parse } = await import('yaml');
    const doc = parse(rules) as {
      groups: { rules: { title: string; data: { model: { rawSql?: string } }[] }[] }[];
    };
    const sqls = doc.groups.flatMap((g) =>
      g.rules.flatMap((r) =>
        r.data.filter((d) => d.model.rawSql).map((d) => ({ title: r.title, sql: d.model.rawSql as string })),
      ),
    );
    expect(sqls.length).to.be.greaterThanOrEqual(2);
    for (const { title, sql } of sqls) {
      const text = substituteGrafanaMacros(sql, {
        from: '2015-02-01T00:00:00Z',
        to: '2015-04-01T00:00:00Z',
        variables: {},
      });
      await client.query(text).catch((err: Error) => {
        throw new Error(`alert rule "${title}" query failed: ${err.message}\n${text}`);
      });
    }
  });
});
