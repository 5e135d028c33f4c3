import fs from 'node:fs';
import path from 'node:path';

/** The `temporal` CLI: $TEMPORAL_CLI, else the first `temporal` on PATH; undefined when neither exists. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findExecutable('temporal', env.TEMPORAL_CLI, env);
}

/** The time-skipping test server: $TEMPORAL_TEST_SERVER, else `temporal-test-server` on PATH. */
export function findTestServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findExecutable('temporal-test-server', env.TEMPORAL_TEST_SERVER, env);
}

function findExecutable(
  name: string,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (explicit) {
    if (!isExecutable(explicit))
      throw new Error(`${explicit} (from the environment) is not an executable file`);
    return explicit;
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
