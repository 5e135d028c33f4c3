/**
 * The one place that connects to Temporal, for the client, the worker and `npm start`: address, namespace,
 * TLS (TEMPORAL_TLS_CERT/KEY/CA/SERVER_NAME) and API key (TEMPORAL_API_KEY) from AppConfig, and connection
 * errors as one line. The SDK packages load on first use, so commands that never connect start faster.
 */
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Client, Connection, TLSConfig } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { AppConfig } from '../config';

export type TemporalTarget = Pick<
  AppConfig,
  'temporalAddress' | 'namespace' | 'temporalTls' | 'temporalApiKey'
>;

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/** SDK connection options; the PEM files are read here (their paths were checked by loadConfig). */
export function temporalConnectionOptions(target: TemporalTarget): TemporalConnectionOptions {
  const tls = target.temporalTls;
  return {
    address: target.temporalAddress,
    tls: tls && {
      serverNameOverride: tls.serverName,
      serverRootCACertificate: tls.caPath ? fs.readFileSync(tls.caPath) : undefined,
      clientCertPair:
        tls.certPath && tls.keyPath
          ? { crt: fs.readFileSync(tls.certPath), key: fs.readFileSync(tls.keyPath) }
          : undefined,
    },
    apiKey: target.temporalApiKey,
  };
}

/** The reason a connection failed, in words (the SDKs' own text embeds gRPC and tonic debug dumps). */
export function connectFailureReason(err: unknown): string {
  const text = err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : String(err);
  if (/connection refused|ECONNREFUSED/i.test(text)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN|dns error|failed to lookup|Name or service not known/i.test(text))
    return 'host not found';
  if (/certificate|handshake|tls|ssl|InvalidContentType|CorruptMessage/i.test(text))
    return 'TLS handshake failed (check TEMPORAL_TLS_CA, TEMPORAL_TLS_SERVER_NAME and whether the server uses TLS)';
  if (/unauthenticated|permission denied|unauthorized|PermissionDenied/i.test(text))
    return 'not authorized (check TEMPORAL_API_KEY or the client certificate)';
  if (/timed? ?out|deadline/i.test(text)) return 'timed out';
  return text
    .split('\n')[0]
    .replace(/\s*Status \{.*$/, '')
    .trim();
}

export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
  /** The SDK's error; not `cause`, since this message already says what it means. */
  readonly sdkError: unknown;
  constructor(address: string, sdkError: unknown, reason = connectFailureReason(sdkError)) {
    super(
      `cannot reach Temporal at ${address}: ${reason}; start it with \`npm start\` or set TEMPORAL_ADDRESS`,
    );
    this.sdkError = sdkError;
  }
}

/**
 * Why a connection failed, found by opening the socket (and the TLS session) ourselves: the client SDK
 * reports every failure as "Failed to connect before the deadline".
 */
export async function diagnoseConnection(
  target: TemporalTarget,
  timeoutMs = 5000,
): Promise<string | undefined> {
  const [host, portText] = target.temporalAddress.split(':');
  const port = Number(portText);
  const settings = target.temporalTls;
  // With TLS 1.3 the server checks the client certificate after the client's handshake is done: `settleMs`
  // waits for its refusal.
  const probe = (connect: () => net.Socket, ready: string, settleMs = 0) =>
    new Promise<string | undefined>((resolve) => {
      const socket = connect();
      const done = (reason: string | undefined) => {
        socket.destroy();
        resolve(reason);
      };
      socket.setTimeout(timeoutMs, () => done('timed out'));
      socket.once(ready, () => setTimeout(() => done(undefined), settleMs));
      socket.once('error', (err: NodeJS.ErrnoException) => done(socketFailure(err, settings !== undefined)));
      socket.once('end', () => done(settings ? 'the server closed the TLS session' : undefined));
    });
  const tcp = await probe(() => net.connect(port, host), 'connect');
  if (tcp || !settings) return tcp;
  const tlsFailure = await probe(
    () =>
      tls.connect({
        host,
        port,
        servername: settings?.serverName ?? (net.isIP(host) ? undefined : host),
        ca: settings?.caPath ? fs.readFileSync(settings.caPath) : undefined,
        cert: settings?.certPath ? fs.readFileSync(settings.certPath) : undefined,
        key: settings?.keyPath ? fs.readFileSync(settings.keyPath) : undefined,
        ALPNProtocols: ['h2'],
      }),
    'secureConnect',
    1000,
  );
  return tlsFailure;
}

function socketFailure(err: NodeJS.ErrnoException, usingTls: boolean): string {
  if (err.code === 'ECONNREFUSED') return 'connection refused';
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return 'host not found';
  if (!usingTls) return err.message;
  if (/certificate required|handshake failure|ECONNRESET|socket hang up/i.test(`${err.code} ${err.message}`))
    return 'the server refused the TLS session (it wants a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY)';
  return `TLS handshake failed: ${err.message} (check TEMPORAL_TLS_CA and TEMPORAL_TLS_SERVER_NAME)`;
}

/** A client connection (the CLI, `npm start`); fails within 5 s with one line when the server does not answer. */
export async function connectClient(target: TemporalTarget): Promise<Client> {
  const { Client, Connection } = await import('@temporalio/client');
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptions(target), connectTimeout: '5s' });
  } catch (err) {
    const reason = await diagnoseConnection(target);
    throw new TemporalUnreachableError(
      target.temporalAddress,
      err,
      reason ??
        (target.temporalTls
          ? 'no gRPC answer over TLS'
          : 'no gRPC answer over plain text (if the server uses TLS, set TEMPORAL_TLS=true or TEMPORAL_TLS_CA)'),
    );
  }
  return new Client({ connection, namespace: target.namespace });
}

/** A worker connection (Rust core); the same options and the same one-line failure. */
export async function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  const { NativeConnection } = await import('@temporalio/worker');
  try {
    return await NativeConnection.connect(temporalConnectionOptions(target));
  } catch (err) {
    throw new TemporalUnreachableError(target.temporalAddress, err);
  }
}
