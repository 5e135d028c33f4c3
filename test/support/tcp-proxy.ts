import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a server, for outage tests: `stop()` closes the listening socket and every open
 * connection, so clients get ECONNREFUSED (new connections) or ECONNRESET (open ones) until `start()`
 * listens again on the same port.
 */
export interface TcpProxy {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Connections accepted so far (to check the clients really went through the proxy). */
  readonly connections: number;
}

export interface TcpProxyOptions {
  /**
   * Sees the request line (`PUT /bucket/key HTTP/1.1`) of every plain-HTTP request a client sends; returning
   * true stops the proxy before that request reaches the server, so an outage can start at an exact request
   * rather than at a time.
   */
  stopBefore?: (requestLine: string) => boolean;
}

const REQUEST_LINE = /(?:^|\r\n)((?:GET|PUT|HEAD|POST|DELETE) \S+ HTTP\/1\.[01])\r\n/g;

export async function startTcpProxy(
  target: { host: string; port: number },
  options: TcpProxyOptions = {},
): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let connections = 0;

  const stop = async () => {
    const s = server;
    server = undefined;
    for (const socket of open) socket.destroy();
    open.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  const stopsBefore = (chunk: Buffer): boolean => {
    if (!options.stopBefore) return false;
    for (const match of chunk.toString('latin1').matchAll(REQUEST_LINE)) {
      if (options.stopBefore(match[1]!)) return true;
    }
    return false;
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        connections++;
        const upstream = createConnection(target);
        open.add(client).add(upstream);
        const close = () => {
          client.destroy();
          upstream.destroy();
          open.delete(client);
          open.delete(upstream);
        };
        client.on('error', close).on('close', close);
        upstream.on('error', close).on('close', close);
        client.on('data', (chunk: Buffer) => {
          if (stopsBefore(chunk)) void stop();
          else upstream.write(chunk);
        });
        client.on('end', () => upstream.end());
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const address = s.address();
        port = typeof address === 'object' && address ? address.port : port;
        server = s;
        resolve();
      });
    });

  await listen();
  return {
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get connections() {
      return connections;
    },
    start: listen,
    stop,
  };
}
