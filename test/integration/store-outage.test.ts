import { ApplicationFailure, type Client } from '@temporalio/client';
import { expect } from 'chai';
import { startTraining, waitForTraining } from '../../src/cli/training-run';
import type { TrainingResult } from '../../src/contracts';
import { startTestWorkers, testConfig, trainingInput, useDevServerAndS3 } from '../support/pipeline-harness';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

const OUTAGE_MS = 30_000;
const TRIALS = 16;
/** A trial's model upload to the store (`models/<sha256>.<engine>.json`; not the final model's calibration). */
const TRIAL_MODEL_UPLOAD = /^PUT \S*\/models\/[0-9a-f]{64}\.(?!interval-calibration)\w+\.json[? ]/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e instanceof Error && chain.length < 10; e = e.cause) chain.push(e);
  return chain;
}

describe('artifact store outage during a search (real dev server, real worker, S3 behind a TCP proxy)', function () {
  this.timeout(900_000);
  const infra = useDevServerAndS3();
  const proxies: TcpProxy[] = [];

  after(async () => {
    for (const proxy of proxies) await proxy.stop();
  });

  /**
   * A search whose artifact store refuses connections for 30 s from the second trial model's upload on: that
   * upload never reaches the store, so the outage starts mid-search however fast the trials run.
   */
  async function searchThroughOutage(modelName: string, infraRetryWindowMs?: number, top = 2) {
    const upstream = new URL(infra.s3.endpoint);
    let modelUploads = 0;
    let outageStarted: () => void = () => {};
    const outage = new Promise<void>((resolve) => (outageStarted = resolve));
    const proxy = await startTcpProxy(
      { host: upstream.hostname, port: Number(upstream.port) },
      {
        stopBefore: (requestLine) => {
          if (!TRIAL_MODEL_UPLOAD.test(requestLine) || ++modelUploads !== 2) return false;
          outageStarted();
          return true;
        },
      },
    );
    proxies.push(proxy);
    const config = testConfig({
      // Data from the local sample; every artifact (prepared set, models, registry) through the proxy.
      artifactsUri: infra.s3.uri(modelName),
      s3: { ...infra.s3.options, endpoint: proxy.url },
    });
    const workers = await startTestWorkers(infra.env, config);
    const client = infra.env.client as unknown as Client;
    let handle: Awaited<ReturnType<typeof startTraining>> | undefined;
    let settled = false;
    try {
      const input = trainingInput(config, {
        modelName,
        trials: TRIALS,
        parallelism: 4,
        top,
        infraRetryWindowMs,
      });
      handle = await startTraining(client, config, input);
      const search = client.workflow.getHandle(`${handle.workflowId}-search`);
      const outcome: Promise<TrainingResult | Error> = waitForTraining(client, handle, () => {}).catch(
        (err: Error) => err,
      );
      const first = await Promise.race([outage.then(() => 'outage' as const), outcome]);
      expect(first, 'the search ended before its second model upload').to.equal('outage');
      const retried: string[] = [];
      const outageEnds = Date.now() + OUTAGE_MS;
      while (Date.now() < outageEnds) {
        const { raw } = await search.describe();
        for (const a of raw.pendingActivities ?? []) {
          if ((a.attempt ?? 1) > 1 && a.lastFailure?.message) retried.push(a.lastFailure.message);
        }
        await sleep(1_000);
      }
      await proxy.start();
      const result = { outcome: await outcome, retried };
      settled = true;
      return result;
    } finally {
      // A failed check leaves the training running: end it before its workers go.
      if (handle && !settled) await handle.terminate('test failed').catch(() => undefined);
      workers.shutdown();
      await workers.done;
    }
  }

  it('rides out 30 s of refused connections: every trial succeeds and the models are registered', async () => {
    const { outcome, retried } = await searchThroughOutage('traffic-outage');
    // The outage really hit trials: attempts failed on the unreachable store and were retried.
    expect(retried.length, 'failed attempts seen during the outage').to.be.greaterThan(0);
    expect(retried.join('\n')).to.match(/ECONNREFUSED|ECONNRESET|socket hang up/);
    if (outcome instanceof Error) throw outcome;
    expect(outcome.search!.failures, JSON.stringify(outcome.search!.failures)).to.deep.equal([]);
    // Every trial completed: on the leaderboard, or pruned by ASHA (pruned trials are never candidates).
    const counts = outcome.search!.counts!;
    expect(counts, JSON.stringify(counts)).to.deep.equal({
      succeeded: TRIALS - counts.pruned,
      pruned: counts.pruned,
      failed: 0,
    });
    expect(outcome.search!.leaderboard).to.have.length(TRIALS - counts.pruned);
    expect(outcome.registration!.versions).to.have.length(2);
  });

  it('with a retry window shorter than the outage, fails the search with the reasons and registers nothing', async () => {
    // Every trial stores its model (top = all of them), so every trial left when the outage starts needs the
    // store: with several trials per activity the search is quick, and trials the model bound keeps out of the
    // store would otherwise finish through the outage untouched.
    const { outcome } = await searchThroughOutage('traffic-outage-short', 5_000, TRIALS);
    expect(outcome).to.be.instanceOf(Error);
    const failure = causes(outcome).find(
      (e) => e instanceof ApplicationFailure && e.type === 'TooManyTrialsFailed',
    );
    expect(failure, String(outcome)).to.be.instanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).message).to.match(/of 16 trials failed .*ECONNREFUSED|ECONNRESET/);
  });
});
