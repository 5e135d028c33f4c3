import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP endpoint that records JSON posts; it answers 503 to the first `refuse` requests. */
export interface WebhookReceiver {
  url: string;
  /** Accepted bodies, in arrival order. */
  received: Array<Record<string, unknown>>;
  /** Every request, refused ones included. */
  requests: number;
  /** Refuse (503) the next `n` requests. */
  refuse(n: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(refuse = 0): Promise<WebhookReceiver> {
  let refusing = refuse;
  const receiver: Omit<WebhookReceiver, 'url' | 'close'> = {
    received: [],
    requests: 0,
    refuse: (n) => {
      refusing = n;
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver.requests++;
      if (refusing > 0) {
        refusing--;
        res.writeHead(503).end('busy');
        return;
      }
      receiver.received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hook`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as WebhookReceiver;
}
