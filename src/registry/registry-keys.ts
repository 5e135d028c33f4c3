/** Where the registry keeps its records inside the artifact store, and which names it accepts. */

const ROOT = 'registry';
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Starts with a letter so that an alias can never be mistaken for a version number. */
const ALIAS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Fixed width keeps keys in numeric order when listed; ten digits never run out. */
const WIDTH = 10;
const NUMBERED_FILE = /^(\d+)\.json$/;

export function assertModelName(name: string): void {
  if (!MODEL_NAME.test(name)) {
    throw new Error(
      `invalid model name "${name}": use letters, digits, '.', '_' or '-' (max 128, no leading symbol)`,
    );
  }
}

export function assertAliasName(alias: string): void {
  if (!ALIAS_NAME.test(alias)) {
    throw new Error(
      `invalid alias "${alias}": start with a letter, then letters, digits, '_' or '-' (max 64)`,
    );
  }
}

export function assertVersionNumber(version: number): void {
  if (!Number.isSafeInteger(version) || version < 1) throw new Error(`invalid version number ${version}`);
}

function numbered(n: number): string {
  return `${String(n).padStart(WIDTH, '0')}.json`;
}

export const registryKeys = {
  root: `${ROOT}/`,
  versionsPrefix: (model: string) => `${ROOT}/${model}/versions/`,
  version: (model: string, version: number) => `${ROOT}/${model}/versions/${numbered(version)}`,
  aliasPrefix: (model: string, alias: string) => `${ROOT}/${model}/aliases/${alias}/`,
  aliasEntry: (model: string, alias: string, seq: number) =>
    `${ROOT}/${model}/aliases/${alias}/${numbered(seq)}`,
};

/** The number of a `<prefix><n>.json` key, or undefined for any other key under the prefix. */
export function numberOfKey(prefix: string, key: string): number | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const match = NUMBERED_FILE.exec(key.slice(prefix.length));
  return match ? Number(match[1]) : undefined;
}

/** Model names that have at least one version, from keys under `registry/`. */
export function modelNamesOf(keys: string[]): string[] {
  const names = new Set<string>();
  for (const key of keys) {
    const [root, model, kind] = key.split('/');
    if (root === ROOT && kind === 'versions' && MODEL_NAME.test(model)) names.add(model);
  }
  return [...names].sort();
}
