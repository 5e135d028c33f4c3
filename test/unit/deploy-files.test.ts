import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { WorkerMetrics } from '../../src/metrics/worker-metrics';

const ROOT = path.resolve(__dirname, '../../..');
const COMPOSE = path.join(ROOT, 'docker-compose.yml');

interface ComposeService {
  image?: string;
  environment?: Record<string, string | number>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: Array<string | { published?: number | string; target: number }>;
  expose?: Array<string | number>;
  volumes?: Array<string | { source?: string; target: string }>;
}

/** Runs Debian's docker-compose (CI installs it) with the documented env file; a failure shows its message. */
function dockerCompose(...args: string[]): string {
  try {
    return execFileSync('docker-compose', ['-f', COMPOSE, '--env-file', '.env.example', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`docker-compose ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, {
      cause: err,
    });
  }
}

function readYaml<T>(file: string): T {
  return parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as T;
}

/** The host path mounted at `target` in a service (from the resolved config, so absolute). */
function mountSource(service: ComposeService, target: string): string | undefined {
  for (const volume of service.volumes ?? []) {
    if (typeof volume === 'string') {
      const [source, into] = volume.split(':');
      if (into === target) return source;
    } else if (volume.target === target) return volume.source;
  }
  return undefined;
}

describe('deployment files', () => {
  let services: Record<string, ComposeService>;

  before(function () {
    this.timeout(60_000);
    dockerCompose('config', '-q');
    // The resolved configuration: anchors and merge keys applied, as Docker runs it.
    services = (parse(dockerCompose('config')) as { services: Record<string, ComposeService> }).services;
  });

  it('docker-compose.yml is valid for docker-compose config', () => {
    expect(Object.keys(services)).to.include.members(['temporal', 'worker', 'prometheus', 'grafana']);
  });

  it('has no default credentials and binds every port but the prediction service to 127.0.0.1', () => {
    const text = fs.readFileSync(COMPOSE, 'utf8');
    expect(text).to.not.match(/minioadmin|ADMIN_PASSWORD: admin\b/);
    const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    for (const name of [
      'MINIO_ROOT_USER',
      'MINIO_ROOT_PASSWORD',
      'GRAFANA_ADMIN_PASSWORD',
      'MONITORING_DB_PASSWORD',
      'SERVE_API_KEYS',
    ]) {
      expect(text, `${name} required from the env file`).to.include(`\${${name}:?`);
      expect(example, `${name} in .env.example`).to.match(new RegExp(`^${name}=`, 'm'));
    }
    const open = Object.entries(services).flatMap(([name, service]) =>
      (service.ports ?? [])
        .filter((port) => (typeof port === 'string' ? !port.startsWith('127.0.0.1:') : true))
        .map(() => name),
    );
    expect(open, 'services published beyond loopback').to.deep.equal(['serve']);
  });

  it('gives every service a health check', () => {
    const without = Object.entries(services)
      .filter(([, s]) => {
        const test = s.healthcheck?.test;
        return s.healthcheck?.disable === true || !test || test.length === 0 || test[0] === 'NONE';
      })
      .map(([name]) => name);
    expect(without, 'services without a health check').to.deep.equal([]);
  });

  it('publishes each host port once', () => {
    const owners = new Map<string, string[]>();
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) {
        const published = typeof port === 'string' ? port.split(':').at(-2) : port.published;
        if (published === undefined) continue;
        owners.set(String(published), [...(owners.get(String(published)) ?? []), name]);
      }
    }
    const clashes = [...owners].filter(([, names]) => names.length > 1);
    expect(clashes, 'host ports published by more than one service').to.deep.equal([]);
  });

  it("makes Prometheus scrape the workers' metrics port with the provisioned config", () => {
    const worker = services.worker;
    const metricsPort = Number(worker.environment?.METRICS_PORT);
    expect(metricsPort, 'METRICS_PORT of the worker service').to.be.within(1, 65535);
    expect((worker.expose ?? []).map(String)).to.include(String(metricsPort));
    expect([worker.healthcheck?.test ?? []].flat().join(' ')).to.include(`:${metricsPort}/healthz`);

    const configFile = mountSource(services.prometheus, '/etc/prometheus/prometheus.yml');
    expect(configFile).to.equal(path.join(ROOT, 'deploy/prometheus/prometheus.yml'));
    const config = readYaml<{
      scrape_configs: Array<{
        job_name: string;
        dns_sd_configs?: Array<{ names: string[]; port: number }>;
        static_configs?: Array<{ targets: string[] }>;
      }>;
    }>('deploy/prometheus/prometheus.yml');
    const workerTargets = config.scrape_configs.flatMap((job) => [
      ...(job.dns_sd_configs ?? []).flatMap((sd) => sd.names.map((n) => `${n}:${sd.port}`)),
      ...(job.static_configs ?? []).flatMap((sc) => sc.targets),
    ]);
    expect(workerTargets).to.include(`worker:${metricsPort}`);
  });

  it('provisions the Prometheus datasource and a dashboard that uses only it and existing metrics', async () => {
    const grafana = services.grafana;
    expect(mountSource(grafana, '/etc/grafana/provisioning')).to.equal(
      path.join(ROOT, 'deploy/grafana/provisioning'),
    );
    const dashboardsDir = mountSource(grafana, '/etc/grafana/dashboards');
    expect(dashboardsDir).to.equal(path.join(ROOT, 'deploy/grafana/dashboards'));

    const { datasources } = readYaml<{ datasources: Array<{ uid: string; type: string; url: string }> }>(
      'deploy/grafana/provisioning/datasources/prometheus.yml',
    );
    expect(datasources).to.have.length(1);
    expect(datasources[0].type).to.equal('prometheus');
    const prometheusPort = (services.prometheus.ports ?? []).map((p) =>
      typeof p === 'string' ? p.split(':').at(-1)?.split('/')[0] : p.target,
    )[0];
    expect(datasources[0].url).to.equal(`http://prometheus:${prometheusPort}`);
    const { providers } = readYaml<{ providers: Array<{ options: { path: string } }> }>(
      'deploy/grafana/provisioning/dashboards/traffic-ml.yml',
    );
    expect(providers.map((p) => p.options.path)).to.deep.equal(['/etc/grafana/dashboards']);

    const home = String(grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH);
    expect(path.dirname(home)).to.equal('/etc/grafana/dashboards');
    const dashboard = JSON.parse(fs.readFileSync(path.join(dashboardsDir!, path.basename(home)), 'utf8')) as {
      panels: Array<{
        type: string;
        datasource?: { uid: string };
        targets?: Array<{ datasource?: { uid: string }; expr: string }>;
      }>;
    };
    const queried = dashboard.panels.filter((p) => p.type !== 'row');
    expect(queried.length).to.be.greaterThan(5);
    const uids = new Set(
      queried.flatMap((p) => [p.datasource?.uid, ...(p.targets ?? []).map((t) => t.datasource?.uid)]),
    );
    expect([...uids]).to.deep.equal([datasources[0].uid]);

    // Every pipeline metric a panel queries is one the workers export.
    const exported = (await new WorkerMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
    const queriedMetrics = queried.flatMap((p) =>
      (p.targets ?? []).flatMap((t) => t.expr.match(/traffic_ml_\w+/g) ?? []),
    );
    const unknown = queriedMetrics.filter((m) => !exported.includes(m.replace(/_(bucket|sum|count)$/, '')));
    expect(unknown, 'dashboard metrics the workers do not export').to.deep.equal([]);
    expect(queriedMetrics).to.include.members([
      'traffic_ml_trials_total',
      'traffic_ml_trial_duration_seconds_bucket',
      'traffic_ml_dataset_cache_requests_total',
      'traffic_ml_registry_versions_created_total',
    ]);
  });
  it('points the workers at the monitoring Postgres and provisions its datasource, dashboard and alert rules', () => {
    const url = new URL(String(services.worker.environment?.MONITORING_DATABASE_URL));
    expect(url.protocol).to.equal('postgres:');
    const db = services[url.hostname];
    expect(db, `service ${url.hostname}`).to.not.equal(undefined);
    expect(db.environment?.POSTGRES_DB).to.equal(url.pathname.slice(1));
    expect(db.environment?.POSTGRES_USER).to.equal(url.username);
    const { datasources } = readYaml<{
      datasources: Array<{
        uid: string;
        type: string;
        url: string;
        user: string;
        jsonData: { database: string };
      }>;
    }>('deploy/grafana/provisioning/datasources/monitoring-postgres.yml');
    expect(datasources[0]).to.include({ type: 'grafana-postgresql-datasource', url: `${url.hostname}:5432` });
    expect(datasources[0].user).to.equal(url.username);
    expect(datasources[0].jsonData.database).to.equal(url.pathname.slice(1));
    const dashboard = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'deploy/grafana/dashboards/traffic-ml-monitoring.json'), 'utf8'),
    ) as { panels: Array<{ datasource?: { uid: string } }> };
    expect(new Set(dashboard.panels.map((p) => p.datasource?.uid))).to.deep.equal(
      new Set([datasources[0].uid]),
    );
    const rules = readYaml<{ groups: Array<{ rules: Array<{ data: Array<{ datasourceUid: string }> }> }> }>(
      'deploy/grafana/provisioning/alerting/monitoring-rules.yml',
    );
    const uids = new Set(
      rules.groups.flatMap((g) => g.rules.flatMap((r) => r.data.map((d) => d.datasourceUid))),
    );
    expect([...uids].sort()).to.deep.equal(['__expr__', datasources[0].uid]);
  });
});
