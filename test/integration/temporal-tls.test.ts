import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { expect } from 'chai';
import { loadConfig } from '../../src/config';
import { connectClient } from '../../src/runtime/temporal-connection';
import { MODEL_NAME } from '../../src/contracts/search-attributes';
import type { TrainingResult } from '../../src/contracts';
import { FILE_PREFIX, SAMPLE_DIR, SMALL_PARAMS, tempDir } from '../support/pipeline-harness';
import { devServerEnv } from '../support/temporal';
import { makeTestPki, startTlsProxy, type TestPki } from '../support/tls';
import { spawnWorkerProcess } from '../support/worker-process';

const DIST_SRC = path.resolve(__dirname, '../../src');

/**
 * Client, worker and connection module against Temporal over mutual TLS, on a namespace without the
 * project's search attributes (as a fresh Temporal Cloud namespace). The dev server speaks plain text; a
 * TLS proxy in front of it checks the client certificate.
 */
describe('Temporal over mTLS (dev server behind a TLS proxy, worker process, CLI)', function () {
  this.timeout(600_000);
  let env: TestWorkflowEnvironment;
  let proxy: Awaited<ReturnType<typeof startTlsProxy>>;
  let pki: TestPki;
  let tlsEnv: NodeJS.ProcessEnv;
  let worker: ChildProcess | undefined;
  let workerLog = (): string => '';

  // Asynchronous: the TLS proxy runs in this process, so a blocking spawnSync would stall it.
  const cli = (args: string[], environment: NodeJS.ProcessEnv = tlsEnv) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(DIST_SRC, 'client.js'), ...args], {
        env: environment,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stdout: stdout.trim(), stderr: stderr.trim() }));
    });
  const trainArgs = (runId: string) => [
    'train',
    '--run-id',
    runId,
    '--years',
    '2012-2013',
    '--top',
    '1',
    '--params',
    JSON.stringify(SMALL_PARAMS),
  ];

  before(async () => {
    const dir = tempDir('tls');
    pki = makeTestPki(dir);
    env = await devServerEnv({ searchAttributes: false });
    const [host, port] = env.address.split(':');
    proxy = await startTlsProxy(pki, { host, port: Number(port) });
    const queue = `tls-${Math.random().toString(36).slice(2, 8)}`;
    tlsEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: `localhost:${proxy.port}`,
      TEMPORAL_TLS_CA: pki.caPath,
      TEMPORAL_TLS_CERT: pki.clientCertPath,
      TEMPORAL_TLS_KEY: pki.clientKeyPath,
      TASK_QUEUE: queue,
      TRIAL_TASK_QUEUE: `${queue}-trials`,
      DATA_URI: `file://${SAMPLE_DIR}`,
      ARTIFACTS_URI: `file://${path.join(dir, 'artifacts')}`,
    };
    expect(FILE_PREFIX).to.equal('Metro_Interstate_Traffic_Volume');
  });

  after(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker?.once('exit', resolve));
      worker.kill('SIGINT');
      await exited;
    }
    await proxy?.close();
    await env?.teardown();
  });

  it('starts a run without typed search attributes when the namespace lacks them, naming what to create', async () => {
    const out = await cli(trainArgs('tls-run-1'));
    expect(out.stderr).to.contain('TrafficModelName (Keyword)').and.contain('TrafficBestRmse (Double)');
    expect(out.status, out.stderr).to.equal(0);
    expect(out.stdout).to.equal('started tls-run-1');
  });

  it('runs it on a worker process connected over mTLS, which registers the attributes for later runs', async () => {
    const spawned = spawnWorkerProcess({ env: tlsEnv, args: ['--threads', '1'] });
    worker = spawned.child;
    workerLog = spawned.output;
    const client = await connectClient(loadConfig(tlsEnv));
    try {
      const first = (await client.workflow.getHandle('tls-run-1').result()) as TrainingResult;
      expect(first.registration?.versions, workerLog()).to.have.length(1);

      // The worker registered the attributes on start-up: this run carries them and upserts its RMSE.
      const second = await cli([...trainArgs('tls-run-2'), '--wait', '--json']);
      expect(second.status, second.stderr).to.equal(0);
      expect((JSON.parse(second.stdout) as TrainingResult).registration?.versions).to.have.length(1);
      const described = await client.workflow.getHandle('tls-run-2').describe();
      expect(described.typedSearchAttributes.get(MODEL_NAME)).to.equal('traffic-volume-predictor');
    } finally {
      await client.connection.close();
    }
    expect(workerLog())
      .to.contain('(TLS)')
      .and.not.match(/tonic|Tree method|wasm streaming/);
  });

  it('refuses a --run-id that is taken, naming the run that holds it', async () => {
    const out = await cli(trainArgs('tls-run-1'));
    expect(out.status).to.equal(1);
    expect(out.stderr).to.match(
      /^error: run id "tls-run-1" is already taken by a COMPLETED trainingWorkflow run \(started .*\); choose another --run-id/,
    );
  });

  it('fails with one line when the client has no certificate, the wrong CA, or half a pair', async () => {
    const { TEMPORAL_TLS_CERT: _c, TEMPORAL_TLS_KEY: _k, ...noClientCert } = tlsEnv;
    const noCert = await cli(['retrain-check'], noClientCert);
    expect(noCert.status).to.equal(1);
    expect(noCert.stderr.split('\n')).to.have.length(1);
    expect(noCert.stderr).to.match(
      /^error: cannot reach Temporal at localhost:\d+: the server refused the TLS session \(it wants a client certificate/,
    );

    const { TEMPORAL_TLS_CA: _ca, ...systemCa } = tlsEnv;
    const wrongCa = await cli(['retrain-check'], systemCa);
    expect(wrongCa.stderr).to.match(
      /^error: cannot reach Temporal at localhost:\d+: TLS handshake failed: self-signed certificate/,
    );
    expect(wrongCa.stderr.split('\n')).to.have.length(1);

    const { TEMPORAL_TLS_KEY: _key, ...halfPair } = tlsEnv;
    expect((await cli(['retrain-check'], halfPair)).stderr).to.equal(
      'error: invalid configuration: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (client certificate and its key)',
    );
  });
});
