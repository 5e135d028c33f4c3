/**
 * Where MLflow is and how to sign in, by MLflow's own variables: `MLFLOW_TRACKING_URI` (or the CLI's
 * `--mlflow-tracking-uri`) switches mirroring on; `MLFLOW_TRACKING_TOKEN` (bearer) or
 * `MLFLOW_TRACKING_USERNAME`/`MLFLOW_TRACKING_PASSWORD` (basic) authenticate. The URI travels in workflow
 * inputs (histories), so it must not carry credentials; these are read from the environment of the process
 * that talks to MLflow (the worker, or the CLI for `mlflow sync`) and never logged.
 */

export interface MlflowCredentials {
  token?: string;
  username?: string;
  password?: string;
}

export class MlflowSettingsError extends Error {
  override name = 'MlflowSettingsError';
}

/** The tracking URI normalised (no trailing slash), or a one-line error naming what is wrong. */
export function parseTrackingUri(value: string, what = 'MLFLOW_TRACKING_URI'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new MlflowSettingsError(
      `${what} must be an http(s) URL of an MLflow tracking server, e.g. http://127.0.0.1:5000 (got "${value}")`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MlflowSettingsError(
      `${what} must be an http(s) URL of an MLflow tracking server (got scheme "${url.protocol.replace(/:$/, '')}": file stores and databricks URIs are not supported)`,
    );
  }
  if (url.username || url.password) {
    throw new MlflowSettingsError(
      `${what} must not contain credentials: set MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN instead`,
    );
  }
  if (url.search || url.hash) throw new MlflowSettingsError(`${what} must not have a query or fragment`);
  return url.toString().replace(/\/+$/, '');
}

/** The tracking URI from `--mlflow-tracking-uri` or else `MLFLOW_TRACKING_URI`; undefined: mirroring off. */
export function trackingUriFrom(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (flag !== undefined && flag !== '') return parseTrackingUri(flag, '--mlflow-tracking-uri');
  const fromEnv = env.MLFLOW_TRACKING_URI;
  return fromEnv === undefined || fromEnv === '' ? undefined : parseTrackingUri(fromEnv);
}

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): MlflowCredentials {
  const token = env.MLFLOW_TRACKING_TOKEN || undefined;
  const username = env.MLFLOW_TRACKING_USERNAME || undefined;
  const password = env.MLFLOW_TRACKING_PASSWORD || undefined;
  if ((username === undefined) !== (password === undefined)) {
    throw new MlflowSettingsError(
      'set both MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or neither',
    );
  }
  return { token, username, password };
}

/** The Authorization header for these credentials (token first, as MLflow's own client does). */
export function authorizationHeader(credentials: MlflowCredentials): string | undefined {
  if (credentials.token) return `Bearer ${credentials.token}`;
  if (credentials.username && credentials.password) {
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }
  return undefined;
}
