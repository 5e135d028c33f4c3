import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { MlflowApiError, MlflowClient } from '../../src/mlflow/mlflow-client';
import {
  authorizationHeader,
  credentialsFromEnv,
  parseTrackingUri,
  trackingUriFrom,
} from '../../src/mlflow/mlflow-settings';

/** A local HTTP server answering each request with the next of `answers` (status, body); records what it got. */
async function scripted(answers: { status: number; body: string; delayMs?: number }[]) {
  const seen: { method: string; url: string; authorization?: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
      const answer = answers.shift() ?? { status: 500, body: '{}' };
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { uri, seen, close: () => new Promise((r) => server.close(r)) };
}

describe('MLflow settings and REST client', () => {
  it('accepts http(s) tracking URIs and refuses others, and credentials inside the URI, in one line', () => {
    expect(parseTrackingUri('http://mlflow.example:5000/')).to.equal('http://mlflow.example:5000');
    expect(() => parseTrackingUri('file:///tmp/mlruns')).to.throw(/http\(s\) URL.*file stores/);
    expect(() => parseTrackingUri('databricks')).to.throw(/MLFLOW_TRACKING_URI must be an http\(s\) URL/);
    expect(() => parseTrackingUri('http://bob:secret@mlflow:5000')).to.throw(/must not contain credentials/);
    expect(trackingUriFrom(undefined, {})).to.equal(undefined);
    expect(trackingUriFrom(undefined, { MLFLOW_TRACKING_URI: 'https://m.example' })).to.equal(
      'https://m.example',
    );
    expect(trackingUriFrom('http://flag:1', { MLFLOW_TRACKING_URI: 'https://m.example' })).to.equal(
      'http://flag:1',
    );
  });

  it('signs in with the token, else basic auth; a username without password is refused', () => {
    expect(authorizationHeader(credentialsFromEnv({ MLFLOW_TRACKING_TOKEN: 't0k' }))).to.equal('Bearer t0k');
    expect(
      authorizationHeader(
        credentialsFromEnv({ MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' }),
      ),
    ).to.equal(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(() => credentialsFromEnv({ MLFLOW_TRACKING_USERNAME: 'u' })).to.throw(/both/);
  });

  it('retries 5xx answers with backoff, sends the credentials, and never puts them in an error', async () => {
    const server = await scripted([
      { status: 503, body: '{"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"}' },
      { status: 200, body: '{"experiment":{"experiment_id":"7","name":"m","lifecycle_stage":"active"}}' },
      { status: 503, body: 'busy' },
      { status: 503, body: 'busy' },
    ]);
    try {
      const client = new MlflowClient({
        trackingUri: server.uri,
        credentials: { token: 'very-secret' },
        initialBackoffMs: 10,
        attempts: 2,
      });
      expect((await client.getExperimentByName('m'))?.experiment_id).to.equal('7');
      expect(server.seen).to.have.length(2);
      expect(server.seen[1].authorization).to.equal('Bearer very-secret');
      expect(server.seen[1].url).to.equal('/api/2.0/mlflow/experiments/get-by-name?experiment_name=m');
      const err = await client.setTag('r', 'k', 'v').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(MlflowApiError);
      expect((err as MlflowApiError).retryable).to.equal(true);
      expect((err as Error).message)
        .to.match(/HTTP 503/)
        .and.not.contain('very-secret');
    } finally {
      await server.close();
    }
  });

  it('fails at once on a 4xx with MLflow error code and message, and times out a hung server', async () => {
    const server = await scripted([
      { status: 400, body: '{"error_code":"INVALID_PARAMETER_VALUE","message":"bad param\\nmore"}' },
      { status: 200, body: '{}', delayMs: 2000 },
    ]);
    try {
      const client = new MlflowClient({
        trackingUri: server.uri,
        initialBackoffMs: 10,
        attempts: 1,
        timeoutMs: 300,
      });
      const rejected = await client.setTag('r', 'k', 'v').catch((e: unknown) => e as MlflowApiError);
      expect(rejected).to.include({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE', retryable: false });
      expect((rejected as Error).message).to.equal(
        'MLflow POST api/2.0/mlflow/runs/set-tag failed: HTTP 400 INVALID_PARAMETER_VALUE: bad param',
      );
      expect(server.seen).to.have.length(1);
      const hung = await client.setTag('r', 'k', 'v').catch((e: unknown) => e as MlflowApiError);
      expect((hung as Error).message).to.match(/unreachable .*no answer within 300 ms/);
      expect((hung as MlflowApiError).retryable).to.equal(true);
    } finally {
      await server.close();
    }
  });
});
