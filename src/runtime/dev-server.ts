import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../contracts/search-attributes';
import { logger } from '../common/logger';
import { missingSearchAttributesHelp } from './search-attribute-fallback';
import { findTemporalCli } from './temporal-binary';
import { connectClient, temporalConnectionOptions, type TemporalTarget } from './temporal-connection';

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** True when this process started the server (and stops it on teardown). */
  started: boolean;
  teardown(): Promise<void>;
}

/** Is a Temporal frontend answering at `address`? */
export async function temporalAnswers(target: TemporalTarget): Promise<boolean> {
  try {
    const connection = await Connection.connect({
      ...temporalConnectionOptions(target),
      connectTimeout: '2s',
    });
    try {
      await connection.workflowService.describeNamespace({ namespace: target.namespace });
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/**
 * Uses the server at `address` when one answers; otherwise starts the `temporal` CLI's dev server there
 * (SQLite under `dbDir`, Web UI on port+1000). Without a local CLI, @temporalio/testing downloads one.
 */
export async function ensureDevServer(opts: {
  target: TemporalTarget;
  dbDir: string;
  ui?: boolean;
}): Promise<DevServer> {
  const { temporalAddress: address, namespace } = opts.target;
  if (await temporalAnswers(opts.target)) {
    await registerSearchAttributes(opts.target).catch((err: Error) => logger.warn(err.message));
    return { address, started: false, teardown: async () => undefined };
  }
  if (opts.target.temporalTls) {
    throw new Error(
      `no Temporal server answers at ${address} over TLS; a local dev server is started only without TLS`,
    );
  }
  const [host, portText] = address.split(':');
  const port = Number(portText);
  fs.mkdirSync(opts.dbDir, { recursive: true });
  const cli = findTemporalCli();
  // A dev dependency, loaded only here: the worker imports this module for registerSearchAttributes and
  // runs in the production image without it.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
      ip: host === 'localhost' ? '127.0.0.1' : host,
      port,
      namespace,
      dbFilename: path.join(opts.dbDir, 'temporal.db'),
      ui: opts.ui ?? true,
      uiPort: port + 1000,
      searchAttributes: CUSTOM_SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'error' },
    },
  });
  return {
    address,
    uiUrl: opts.ui === false ? undefined : `http://localhost:${port + 1000}`,
    started: true,
    teardown: () => env.teardown(),
  };
}

const INDEXED_TYPES: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.TEXT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Registers the project's search attributes on a server we did not start (idempotent). Temporal Cloud
 * refuses this (attributes are created in its console or with `tcld`): the error then names what to create.
 */
export async function registerSearchAttributes(target: TemporalTarget): Promise<void> {
  const client = await connectClient(target);
  try {
    await registerSearchAttributesOn(client.connection, target.namespace);
  } catch (err) {
    throw new Error(`${missingSearchAttributesHelp(target.namespace)} (${(err as Error).message})`, {
      cause: err,
    });
  } finally {
    await client.connection.close();
  }
}

export async function registerSearchAttributesOn(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
): Promise<void> {
  // The time-skipping test server can add search attributes but cannot list them.
  const existing = await connection.operatorService
    .listSearchAttributes({ namespace })
    .catch(() => undefined);
  const known = new Set(Object.keys(existing?.customAttributes ?? {}));
  const missing = CUSTOM_SEARCH_ATTRIBUTES.filter((k) => !known.has(k.name));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED_TYPES[k.type]])),
  });
}
