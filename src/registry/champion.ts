import type { AliasState, ModelRegistry } from './model-registry';

export const CHAMPION_ALIAS = 'champion';
/** A registered candidate not (yet) promoted; retraining checks re-compare it as newer labelled rows arrive. */
export const CHALLENGER_ALIAS = 'challenger';

export interface ChampionMoveInput {
  modelName: string;
  /** Who moves it (a user name, or `training` for an automatic promotion). */
  by: string;
  reason?: string;
  /** The workflow that moves it, when one does. */
  runId?: string;
  /** ISO-8601 time of the move. */
  at: string;
  /** A move by hand (the CLI), recorded as such. */
  manual?: boolean;
}

export interface ChampionMove {
  /** False when the alias already pointed at the version (nothing was recorded). */
  moved: boolean;
  version: number;
  /** The champion before the move; undefined for a first champion. */
  previousVersion?: number;
  entry: AliasState;
}

/** A lost compare-and-set means another writer moved the alias; beyond this many something is wrong. */
const MAX_ATTEMPTS = 100;

/** Points the champion alias at `version` (compare-and-set, retried when another writer wins the race). */
export async function promoteChampion(
  registry: ModelRegistry,
  input: ChampionMoveInput & { version: number },
): Promise<ChampionMove> {
  await registry.resolve(input.modelName, input.version); // fails with a clear message for an unknown version
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await registry.getAlias(input.modelName, CHAMPION_ALIAS);
    if (current?.version === input.version) return { moved: false, version: input.version, entry: current };
    const moved = await moveTo(registry, input, input.version, current, 'promote');
    if (moved) return moved;
  }
  throw new Error(`could not promote version ${input.version}: the champion alias kept moving`);
}

/**
 * Points the champion back at the champion before the current one. Rollbacks stack: after promotions of
 * v1, v2, v3, two rollbacks lead to v2, then v1; a third has nothing to go back to and fails.
 */
export async function rollbackChampion(
  registry: ModelRegistry,
  input: ChampionMoveInput,
): Promise<ChampionMove> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const history = await registry.aliasHistory(input.modelName, CHAMPION_ALIAS);
    const current = history.at(-1);
    if (!current) throw new Error(`model "${input.modelName}" has no champion to roll back`);
    const target = championStack(history).at(-2);
    if (target === undefined) {
      throw new Error(
        `model "${input.modelName}" has no previous champion to roll back to (champion is v${current.version})`,
      );
    }
    const moved = await moveTo(registry, input, target, current, 'rollback');
    if (moved) return moved;
  }
  throw new Error(`could not roll back the champion of "${input.modelName}": the alias kept moving`);
}

/**
 * The champions in force, oldest first, after replaying the history: a promotion pushes its version, a
 * rollback pops the current one. Entries written before actions were recorded count as promotions.
 */
export function championStack(history: readonly AliasState[]): number[] {
  const stack: number[] = [];
  for (const entry of history) {
    if (entry.action === 'rollback' && stack.at(-2) === entry.version) stack.pop();
    else stack.push(entry.version);
  }
  return stack;
}

async function moveTo(
  registry: ModelRegistry,
  input: ChampionMoveInput,
  version: number,
  current: AliasState | undefined,
  action: 'promote' | 'rollback',
): Promise<ChampionMove | undefined> {
  const reason =
    input.reason ??
    (action === 'rollback'
      ? `rolled back from v${current?.version} to v${version}`
      : `promoted v${version}${current ? ` over v${current.version}` : ''} by hand`);
  const written = await registry.setAlias({
    modelName: input.modelName,
    alias: CHAMPION_ALIAS,
    version,
    expectedSeq: current?.seq,
    setAt: input.at,
    reason,
    by: input.by,
    action,
    ...(input.runId === undefined ? {} : { runId: input.runId }),
    ...(input.manual ? { manual: true } : {}),
  });
  if (!written) return undefined;
  const entry = await registry.getAliasEntry(input.modelName, CHAMPION_ALIAS, (current?.seq ?? 0) + 1);
  if (!entry) throw new Error(`champion entry ${(current?.seq ?? 0) + 1} vanished right after writing it`);
  return {
    moved: true,
    version,
    ...(current ? { previousVersion: current.version } : {}),
    entry,
  };
}
