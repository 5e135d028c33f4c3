/**
 * The one place that connects to Temporal, for the client, the worker and `npm start`: address, namespace,
 * TLS (TEMPORAL_TLS_CERT/KEY/CA/SERVER_NAME) and API key (TEMPORAL_API_KEY) from AppConfig, and connection
 * errors as one line. The SDK packages load on first use, so commands that never connect start faster.
 */
import fs from 'node:fs';
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
  constructor(address: string, cause: unknown) {
    super(
      `cannot reach Temporal at ${address}: ${connectFailureReason(cause)}; start it with \`npm start\` or set TEMPORAL_ADDRESS`,
      { cause },
    );
  }
}

/** A client connection (the CLI, `npm start`); fails within 5 s with one line when the server does not answer. */
export async function connectClient(target: TemporalTarget): Promise<Client> {
  const { Client, Connection } = await import('@temporalio/client');
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptions(target), connectTimeout: '5s' });
  } catch (err) {
    throw new TemporalUnreachableError(target.temporalAddress, err);
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
