import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { deliverAlert } from '../../src/monitoring/alert-delivery';
import { alertOfEvent } from '../../src/monitoring/alerts';
import { openBlobStore } from '../../src/storage/from-uri';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

describe('alert delivery to a webhook (a real local HTTP receiver)', () => {
  let receiver: WebhookReceiver;
  let dir: string;
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alerts-'));
  });
  afterEach(async () => {
    await receiver.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const alert = alertOfEvent('m', '2016-06-20', { kind: 'check-failed', checkId: 'check-1', error: 'boom' });
  const fast = { attempts: 5, initialDelayMs: 20, maxDelayMs: 100 };

  it('posts Slack-compatible text plus structured fields, once per cause and day', async () => {
    const store = openBlobStore(`file://${dir}`);
    const first = await deliverAlert(store, alert, { url: receiver.url, ...fast });
    const again = await deliverAlert(store, alert, { url: receiver.url, ...fast });
    expect(first).to.include({ status: 'sent', attempts: 1 });
    expect(again.status).to.equal('already-sent');
    expect(receiver.received).to.have.length(1);
    const body = receiver.received[0];
    expect(body.text)
      .to.be.a('string')
      .and.match(/check-1 failed: boom/);
    expect(body).to.deep.include({
      id: 'm/2016-06-20/check-failed',
      kind: 'check-failed',
      model: 'm',
      day: '2016-06-20',
    });
    expect(body.fields).to.deep.equal({ checkId: 'check-1', error: 'boom' });
  });

  it('retries with backoff through a receiver that refuses for a while, and sends it once', async () => {
    const store = openBlobStore(`file://${dir}`);
    receiver.refuse(3);
    const retries: string[] = [];
    const outcome = await deliverAlert(store, alert, {
      url: receiver.url,
      ...fast,
      onRetry: (attempt, error) => retries.push(`${attempt}: ${error}`),
    });
    expect(outcome).to.include({ status: 'sent', attempts: 4 });
    expect(retries).to.deep.equal([
      '1: HTTP 503 Service Unavailable',
      '2: HTTP 503 Service Unavailable',
      '3: HTTP 503 Service Unavailable',
    ]);
    expect(receiver.requests).to.equal(4);
    expect(receiver.received).to.have.length(1);
  });

  it('never throws: a receiver that keeps refusing is reported as failed and tried again by the next run', async () => {
    const store = openBlobStore(`file://${dir}`);
    receiver.refuse(100);
    const failed = await deliverAlert(store, alert, { url: receiver.url, ...fast });
    expect(failed).to.include({ status: 'failed', attempts: 5 });
    expect(failed.error).to.equal('HTTP 503 Service Unavailable');
    receiver.refuse(0);
    const later = await deliverAlert(store, alert, { url: receiver.url, ...fast });
    expect(later.status).to.equal('sent');
    expect(receiver.received).to.have.length(1);
  });

  it('a receiver that is not there at all is a failure, not an exception', async () => {
    const store = openBlobStore(`file://${dir}`);
    await receiver.close();
    const outcome = await deliverAlert(store, alert, { url: receiver.url, ...fast, attempts: 2 });
    expect(outcome.status).to.equal('failed');
    receiver = await startWebhookReceiver();
  });
});
