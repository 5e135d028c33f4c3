import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { connectionPerRequestLoad, quantile } from '../../scripts/bench/connection-per-request-load';
import { ratioOrRefusal, type MeasuredRate } from '../../scripts/bench/serve-ratio';

/** A server that closes every connection after its answer, as gunicorn's sync workers do. */
async function closingServer(
  status: number,
): Promise<{ url: string; seen: () => number; close: () => Promise<void> }> {
  let seen = 0;
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen++;
      response.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      response.end(JSON.stringify({ rows: (JSON.parse(body) as unknown[]).length }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/predict`,
    seen: () => seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('bench:serve load for servers that close every connection', () => {
  it('answers every request on its own connection without errors, counting what the server saw', async () => {
    const server = await closingServer(200);
    try {
      const result = await connectionPerRequestLoad({
        url: server.url,
        connections: 4,
        durationSeconds: 0.5,
        body: '[{"a":1}]',
        headers: { 'content-type': 'application/json' },
      });
      expect(result.errors).to.equal(0);
      expect(result.non2xx).to.equal(0);
      expect(result.requests).to.be.greaterThan(10);
      expect(result.requests).to.equal(server.seen());
      expect(result.p99Ms).to.be.at.least(result.p50Ms);
    } finally {
      await server.close();
    }
  });

  it('counts non-2xx answers and refused connections', async () => {
    const server = await closingServer(500);
    const options = { connections: 2, durationSeconds: 0.2, body: '[]' };
    try {
      const answered = await connectionPerRequestLoad({ url: server.url, ...options });
      expect(answered.non2xx).to.equal(answered.requests).and.be.greaterThan(0);
    } finally {
      await server.close();
    }
    const refused = await connectionPerRequestLoad({ url: server.url, ...options });
    expect(refused.requests).to.equal(0);
    expect(refused.errors).to.be.greaterThan(0);
  });

  it('takes nearest-rank quantiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).to.equal(50);
    expect(quantile(sorted, 0.99)).to.equal(99);
    expect(quantile([7], 0.99)).to.equal(7);
  });
});

describe('bench:serve ratios', () => {
  const rate = (target: string, requestsPerSec: number, errors = 0, non2xx = 0): MeasuredRate => ({
    target,
    requestsPerSec,
    requests: requestsPerSec * 10,
    errors,
    non2xx,
  });

  it('divides two clean rates', () => {
    expect(ratioOrRefusal(rate('service', 5000), rate('flask anchor', 400))).to.deep.equal({ ratio: 12.5 });
  });

  it('refuses a ratio when either side had errors or non-2xx answers, naming it', () => {
    const refusal = ratioOrRefusal(rate('service', 5000), rate('flask anchor', 226, 1789));
    expect(refusal).to.have.property('refused').that.includes('flask anchor had 1789 errors');
    expect(ratioOrRefusal(rate('service', 5000, 0, 3), rate('bare fastify', 9000)))
      .to.have.property('refused')
      .that.includes('service had 0 errors and 3 non-2xx');
    expect(ratioOrRefusal(rate('service', 5000), undefined)).to.have.property('refused');
  });
});
