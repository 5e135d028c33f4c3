/**
 * A thin typed client of MLflow's REST API (`/api/2.0/mlflow/…`) and artifact proxy
 * (`/api/2.0/mlflow-artifacts/artifacts/…`): the calls this project mirrors its runs and registry with.
 * Requests time out, and connection errors, timeouts, 429 and 5xx answers are retried with exponential
 * backoff; any other answer fails at once with MLflow's error code and message. Credentials go into the
 * Authorization header only, never into an error message or a log line.
 */
import { authorizationHeader, type MlflowCredentials } from './mlflow-settings';

export interface MlflowTag {
  key: string;
  value: string;
}

export interface MlflowMetric {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

export interface MlflowParam {
  key: string;
  value: string;
}

export type MlflowRunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface MlflowRun {
  info: {
    run_id: string;
    experiment_id: string;
    run_name?: string;
    status: MlflowRunStatus;
    start_time?: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: string;
  };
  data: { metrics?: MlflowMetric[]; params?: MlflowParam[]; tags?: MlflowTag[] };
}

export interface MlflowExperiment {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  artifact_location?: string;
}

export interface MlflowModelVersion {
  name: string;
  version: string;
  source: string;
  run_id?: string;
  status?: string;
  tags?: MlflowTag[];
  aliases?: string[];
}

export interface MlflowRegisteredModel {
  name: string;
  aliases?: { alias: string; version: string }[];
  tags?: MlflowTag[];
}

export interface MlflowFileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** An answer of MLflow that is not a success; `retryable` for 429/5xx and transport failures. */
export class MlflowApiError extends Error {
  override name = 'MlflowApiError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly errorCode: string | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface MlflowClientOptions {
  trackingUri: string;
  credentials?: MlflowCredentials;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Attempts per request for retryable failures; default 4 (backoff 0.5, 1, 2 s). */
  attempts?: number;
  initialBackoffMs?: number;
}

/** MLflow's own LogBatch limits per request. */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

export class MlflowClient {
  readonly trackingUri: string;
  readonly #authorization: string | undefined;
  readonly #timeoutMs: number;
  readonly #attempts: number;
  readonly #backoffMs: number;

  constructor(options: MlflowClientOptions) {
    this.trackingUri = options.trackingUri.replace(/\/+$/, '');
    this.#authorization = authorizationHeader(options.credentials ?? {});
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#attempts = options.attempts ?? 4;
    this.#backoffMs = options.initialBackoffMs ?? 500;
  }

  // Experiments

  async getExperimentByName(name: string): Promise<MlflowExperiment | undefined> {
    const body = await this.#orNotFound(() =>
      this.#call<{ experiment: MlflowExperiment }>('GET', 'experiments/get-by-name', {
        experiment_name: name,
      }),
    );
    return body?.experiment;
  }

  /** The experiment's id, creating it when missing (a concurrent creator winning the race is fine). */
  async ensureExperiment(name: string, tags: MlflowTag[] = []): Promise<string> {
    const existing = await this.getExperimentByName(name);
    if (existing && existing.lifecycle_stage === 'active') return existing.experiment_id;
    if (existing) {
      throw new MlflowApiError(
        `MLflow experiment "${name}" is deleted: restore it (mlflow experiments restore) or delete it for good`,
        undefined,
        'INVALID_STATE',
        false,
      );
    }
    try {
      return (await this.#call<{ experiment_id: string }>('POST', 'experiments/create', { name, tags }))
        .experiment_id;
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const created = await this.getExperimentByName(name);
        if (created) return created.experiment_id;
      }
      throw err;
    }
  }

  // Runs

  async createRun(input: {
    experimentId: string;
    runName: string;
    startTime: number;
    tags: MlflowTag[];
  }): Promise<MlflowRun> {
    return (
      await this.#call<{ run: MlflowRun }>('POST', 'runs/create', {
        experiment_id: input.experimentId,
        run_name: input.runName,
        start_time: input.startTime,
        tags: input.tags,
      })
    ).run;
  }

  async getRun(runId: string): Promise<MlflowRun> {
    return (await this.#call<{ run: MlflowRun }>('GET', 'runs/get', { run_id: runId })).run;
  }

  /** Every active run of the experiments matching the filter (all pages), oldest first. */
  async searchRuns(experimentIds: string[], filter: string): Promise<MlflowRun[]> {
    const runs: MlflowRun[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.#call<{ runs?: MlflowRun[]; next_page_token?: string }>('POST', 'runs/search', {
        experiment_ids: experimentIds,
        filter,
        run_view_type: 'ACTIVE_ONLY',
        max_results: 1000,
        order_by: ['attributes.start_time ASC'],
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      runs.push(...(page.runs ?? []));
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    return runs;
  }

  /** Logs params, metrics and tags, split into requests within MLflow's LogBatch limits. */
  async logBatch(
    runId: string,
    batch: { metrics?: MlflowMetric[]; params?: MlflowParam[]; tags?: MlflowTag[] },
  ): Promise<void> {
    const chunks = <T>(items: T[] | undefined, size: number): T[][] => {
      const out: T[][] = [];
      for (let i = 0; i < (items?.length ?? 0); i += size) out.push(items!.slice(i, i + size));
      return out;
    };
    for (const params of chunks(batch.params, LOG_BATCH_LIMITS.params)) {
      await this.#call('POST', 'runs/log-batch', { run_id: runId, params });
    }
    for (const tags of chunks(batch.tags, LOG_BATCH_LIMITS.tags)) {
      await this.#call('POST', 'runs/log-batch', { run_id: runId, tags });
    }
    for (const metrics of chunks(batch.metrics, LOG_BATCH_LIMITS.metrics)) {
      await this.#call('POST', 'runs/log-batch', { run_id: runId, metrics });
    }
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.#call('POST', 'runs/set-tag', { run_id: runId, key, value });
  }

  async updateRun(runId: string, status: MlflowRunStatus, endTime: number): Promise<void> {
    await this.#call('POST', 'runs/update', { run_id: runId, status, end_time: endTime });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.#call('POST', 'runs/delete', { run_id: runId });
  }

  // Artifacts (through the server's artifact proxy: runs whose artifact URI is mlflow-artifacts:/…)

  /** Uploads one file to `<run artifact root>/<path>`; uploading the same path again replaces it. */
  async uploadArtifact(run: MlflowRun, artifactPath: string, bytes: Uint8Array | string): Promise<void> {
    const root = proxiedArtifactRoot(run.info.artifact_uri);
    await this.#request(
      'PUT',
      `api/2.0/mlflow-artifacts/artifacts/${encodePath(`${root}/${artifactPath}`)}`,
      {
        body: typeof bytes === 'string' ? Buffer.from(bytes) : bytes,
        contentType: 'application/octet-stream',
      },
    );
  }

  async listArtifacts(runId: string, artifactPath?: string): Promise<MlflowFileInfo[]> {
    const body = await this.#call<{ files?: MlflowFileInfo[] }>('GET', 'artifacts/list', {
      run_id: runId,
      ...(artifactPath ? { path: artifactPath } : {}),
    });
    return body.files ?? [];
  }

  async downloadArtifact(run: MlflowRun, artifactPath: string): Promise<Buffer> {
    const root = proxiedArtifactRoot(run.info.artifact_uri);
    const response = await this.#request(
      'GET',
      `api/2.0/mlflow-artifacts/artifacts/${encodePath(`${root}/${artifactPath}`)}`,
      {},
    );
    return Buffer.from(await response.arrayBuffer());
  }

  // Model registry

  async getRegisteredModel(name: string): Promise<MlflowRegisteredModel | undefined> {
    const body = await this.#orNotFound(() =>
      this.#call<{ registered_model: MlflowRegisteredModel }>('GET', 'registered-models/get', { name }),
    );
    return body?.registered_model;
  }

  async ensureRegisteredModel(name: string, description: string): Promise<MlflowRegisteredModel> {
    const existing = await this.getRegisteredModel(name);
    if (existing) return existing;
    try {
      return (
        await this.#call<{ registered_model: MlflowRegisteredModel }>('POST', 'registered-models/create', {
          name,
          description,
        })
      ).registered_model;
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const created = await this.getRegisteredModel(name);
        if (created) return created;
      }
      throw err;
    }
  }

  /** Every version of a registered model (all pages). */
  async listModelVersions(name: string): Promise<MlflowModelVersion[]> {
    const versions: MlflowModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.#call<{ model_versions?: MlflowModelVersion[]; next_page_token?: string }>(
        'GET',
        'model-versions/search',
        {
          filter: `name = '${escapeFilterValue(name)}'`,
          max_results: '200',
          ...(pageToken ? { page_token: pageToken } : {}),
        },
      );
      versions.push(...(page.model_versions ?? []));
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    return versions.sort((a, b) => Number(a.version) - Number(b.version));
  }

  async createModelVersion(input: {
    name: string;
    source: string;
    runId: string;
    tags: MlflowTag[];
    description?: string;
  }): Promise<MlflowModelVersion> {
    return (
      await this.#call<{ model_version: MlflowModelVersion }>('POST', 'model-versions/create', {
        name: input.name,
        source: input.source,
        run_id: input.runId,
        tags: input.tags,
        ...(input.description ? { description: input.description } : {}),
      })
    ).model_version;
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.#call('POST', 'model-versions/set-tag', { name, version, key, value });
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    await this.#call('DELETE', 'model-versions/delete', { name, version });
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.#call('POST', 'registered-models/alias', { name, alias, version });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.#call('DELETE', 'registered-models/alias', { name, alias });
  }

  // Transport

  async #orNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  /** A JSON call of `/api/2.0/mlflow/<endpoint>`: GET with a query string, other methods with a JSON body. */
  async #call<T = unknown>(method: 'GET' | 'POST' | 'DELETE', endpoint: string, args: object): Promise<T> {
    const path = `api/2.0/mlflow/${endpoint}`;
    const response =
      method === 'GET'
        ? await this.#request(method, `${path}?${new URLSearchParams(args as Record<string, string>)}`, {})
        : await this.#request(method, path, {
            body: Buffer.from(JSON.stringify(args)),
            contentType: 'application/json',
          });
    const text = await response.text();
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  async #request(
    method: string,
    path: string,
    input: { body?: Uint8Array; contentType?: string },
  ): Promise<Response> {
    const what = `${method} ${path.split('?')[0]}`;
    for (let attempt = 1; ; attempt++) {
      let failure: MlflowApiError;
      try {
        const headers: Record<string, string> = {};
        if (input.contentType) headers['content-type'] = input.contentType;
        if (this.#authorization) headers.authorization = this.#authorization;
        const response = await fetch(`${this.trackingUri}/${path}`, {
          method,
          headers,
          ...(input.body ? { body: input.body } : {}),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        if (response.ok) return response;
        failure = await errorOf(what, response);
      } catch (err) {
        if (err instanceof MlflowApiError) throw err;
        const e = err as Error & { cause?: { code?: string; message?: string } };
        const reason =
          e.name === 'TimeoutError'
            ? `no answer within ${this.#timeoutMs} ms`
            : (e.cause?.code ?? e.cause?.message ?? e.message);
        failure = new MlflowApiError(
          `MLflow at ${this.trackingUri} unreachable (${what}): ${reason}`,
          undefined,
          undefined,
          true,
        );
      }
      if (!failure.retryable || attempt >= this.#attempts) throw failure;
      await new Promise((r) => setTimeout(r, this.#backoffMs * 2 ** (attempt - 1)));
    }
  }
}

async function errorOf(what: string, response: Response): Promise<MlflowApiError> {
  const text = await response.text().catch(() => '');
  let code: string | undefined;
  let message = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as { error_code?: string; message?: string };
    code = body.error_code;
    message = (body.message ?? message).split('\n')[0].slice(0, 300);
  } catch {
    // not JSON (a proxy's error page)
  }
  const retryable = response.status === 429 || response.status >= 500;
  return new MlflowApiError(
    `MLflow ${what} failed: HTTP ${response.status}${code ? ` ${code}` : ''}: ${message}`,
    response.status,
    code,
    retryable,
  );
}

/** `mlflow-artifacts:/1/<run>/artifacts` → `1/<run>/artifacts`; other roots cannot go through the proxy. */
export function proxiedArtifactRoot(artifactUri: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(artifactUri);
  if (!match) {
    throw new MlflowApiError(
      `run artifact root ${artifactUri} is not served by the MLflow server's artifact proxy (start the server with --artifacts-destination and without --no-serve-artifacts)`,
      undefined,
      'UNSUPPORTED_ARTIFACT_ROOT',
      false,
    );
  }
  return match[1].replace(/\/+$/, '');
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

/** A value inside single quotes of an MLflow filter string. */
export function escapeFilterValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
