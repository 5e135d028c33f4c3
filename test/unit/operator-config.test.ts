import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { describeError } from '../../src/cli/errors';
import { loadConfig } from '../../src/config';
import { runId, storageUri } from '../../src/runtime/arguments';
import { newRunId } from '../../src/common/run-id';
import {
  isUnknownSearchAttributeError,
  missingSearchAttributesHelp,
} from '../../src/runtime/search-attribute-fallback';
import { connectFailureReason } from '../../src/runtime/temporal-connection';
import { tempDir } from '../support/temp-dir';

const ROOT = path.resolve(__dirname, '../../..');

describe('operator configuration and messages', () => {
  it('makes run ids unique to the millisecond and beyond', () => {
    const now = new Date('2026-11-23T09:45:12.345Z');
    const ids = new Set(Array.from({ length: 200 }, () => newRunId('train-m', now)));
    expect(ids.size).to.be.greaterThan(190); // 16 random bits: a rare collision is refused by the server, not reused
    expect([...ids][0]).to.match(/^train-m-20261123T094512345Z-[0-9a-f]{4}$/);
  });

  it('checks --run-id and --data-uri where they enter', () => {
    expect(runId('nightly-2026.11.23')).to.equal('nightly-2026.11.23');
    expect(() => runId('a b')).to.throw(/is not a run id/);
    expect(storageUri('s3://bucket/prefix')).to.equal('s3://bucket/prefix');
    expect(() => storageUri('/tmp/x')).to.throw(
      '"/tmp/x" must look like s3://bucket/prefix or file://dir (for a local folder: file:///tmp/x)',
    );
  });

  it('validates the TLS, engine and log variables naming each one', () => {
    const dir = tempDir('pem');
    const pem = path.join(dir, 'x.pem');
    fs.writeFileSync(pem, 'not really a certificate');
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: pem })).to.throw(
      'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together',
    );
    expect(() => loadConfig({ TEMPORAL_TLS_CA: path.join(dir, 'missing.pem') })).to.throw(
      'TEMPORAL_TLS_CA must be the path of a readable PEM file',
    );
    expect(() => loadConfig({ XGBOOST_ENGINE: 'gpu' })).to.throw(
      'XGBOOST_ENGINE must be auto, native or wasm',
    );
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).to.throw('LOG_LEVEL must be one of trace, debug');
    expect(loadConfig({}).temporalTls).to.equal(undefined);
    expect(loadConfig({ TEMPORAL_API_KEY: 'k' }).temporalTls, 'an API key implies TLS').to.deep.equal({
      certPath: undefined,
      keyPath: undefined,
      caPath: undefined,
      serverName: undefined,
    });
    expect(loadConfig({ TEMPORAL_TLS_CA: pem, TEMPORAL_TLS: 'false' }).temporalTls).to.equal(undefined);
  });

  it('says why a connection failed without the SDK debug dumps', () => {
    const tonic = new Error(
      'Failed to connect: Status { code: Unavailable, message: "tcp connect error", source: Some(tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:1, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))) }',
    );
    expect(connectFailureReason(tonic)).to.equal('connection refused');
  });

  it('prints the cause of a failed start and recognises a namespace without the search attributes', () => {
    const grpc = new Error(
      '3 INVALID_ARGUMENT: Namespace default has no mapping defined for search attribute TrafficModelName',
    );
    const failed = new Error('Failed to start Workflow', { cause: grpc });
    expect(describeError(failed)).to.equal(
      'Failed to start Workflow: Namespace default has no mapping defined for search attribute TrafficModelName',
    );
    expect(isUnknownSearchAttributeError(failed)).to.equal(true);
    expect(isUnknownSearchAttributeError(new Error('Failed to start Workflow'))).to.equal(false);
    expect(missingSearchAttributesHelp('prod')).to.contain(
      'create TrafficModelName (Keyword), TrafficRunTrigger (Keyword), TrafficBestRmse (Double), TrafficRetrainDecision (Keyword)',
    );
  });

  it('starts the built CLI through the traffic-ml bin with global --quiet/--verbose flags', () => {
    const out = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'traffic-ml.js'), '--help'], {
      encoding: 'utf8',
    });
    expect(out.status, out.stderr).to.equal(0);
    expect(out.stdout).to.contain('Usage: traffic-ml').and.contain('--quiet').and.contain('--verbose');
  });
});
