import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';

export interface TestPki {
  caPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  clientCertPath: string;
  clientKeyPath: string;
}

function openssl(dir: string, args: string[]): void {
  const out = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`openssl ${args[0]} failed: ${out.stderr}`);
}

/** A throw-away CA with a server certificate for localhost/127.0.0.1 and a client certificate, made by openssl. */
export function makeTestPki(dir: string): TestPki {
  const days = ['-days', '2'];
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    ...days,
    '-subj',
    '/CN=traffic-ml test CA',
  ]);
  const leaf = (name: string, extensions: string) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(dir, [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    ]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      ...days,
      '-extfile',
      `${name}.ext`,
    ]);
  };
  leaf('server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'extendedKeyUsage=clientAuth\n');
  return {
    caPath: path.join(dir, 'ca.pem'),
    serverCertPath: path.join(dir, 'server.pem'),
    serverKeyPath: path.join(dir, 'server.key'),
    clientCertPath: path.join(dir, 'client.pem'),
    clientKeyPath: path.join(dir, 'client.key'),
  };
}

/**
 * A TLS front door for a plain-text Temporal frontend (the installed `temporal server start-dev` has no TLS
 * flags): terminates TLS with HTTP/2 ALPN, requires a client certificate from the test CA (mTLS, as a
 * secured cluster does), and pipes the decrypted gRPC stream to `target`.
 */
export async function startTlsProxy(
  pki: TestPki,
  target: { host: string; port: number },
): Promise<{ port: number; rejected: () => number; close(): Promise<void> }> {
  let rejected = 0;
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      cert: fs.readFileSync(pki.serverCertPath),
      key: fs.readFileSync(pki.serverKeyPath),
      ca: fs.readFileSync(pki.caPath),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (client) => {
      const upstream = net.connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s)).on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    },
  );
  server.on('tlsClientError', () => rejected++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    rejected: () => rejected,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
