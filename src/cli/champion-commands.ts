import os from 'node:os';
import type { Command } from 'commander';
import { readLiveAccuracy } from '../monitoring/live-accuracy-store';
import type { ModelRegistry } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import {
  CHALLENGER_ALIAS,
  CHAMPION_ALIAS,
  promoteChampion,
  rollbackChampion,
  type ChampionMove,
} from '../registry/champion';
import { DEFAULT_MODEL_NAME } from './training-options';

interface MoveFlags {
  modelName: string;
  reason?: string;
  by?: string;
  json?: boolean;
  mlflowTrackingUri?: string;
}

/** Runs after a move (e.g. mirroring the aliases to MLflow); returns a line to print on stderr, if any. */
export type AfterMove = (
  modelName: string,
  flags: { mlflowTrackingUri?: string },
) => Promise<string | undefined>;

function defaultActor(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'cli';
  }
}

function describeMove(modelName: string, move: ChampionMove): string {
  if (!move.moved) return `${modelName}: v${move.version} is already the champion (nothing recorded)`;
  const from = move.previousVersion === undefined ? '' : ` (was v${move.previousVersion})`;
  return `${modelName}: champion is now v${move.version}${from}, entry ${move.entry.seq} by ${move.entry.by}: ${move.entry.reason}`;
}

/** `models promote <version>` and `models rollback`: move the champion alias by hand, recorded in its history. */
export function addChampionCommands(
  models: Command,
  registryOf: () => ModelRegistry,
  afterMove: AfterMove = async () => undefined,
): void {
  const withMoveOptions = (command: Command) =>
    command
      .option('--model-name <name>', 'registered model name', DEFAULT_MODEL_NAME)
      .option('--reason <text>', 'why (recorded in the champion history)')
      .option('--by <who>', 'who moves it (default: the OS user name)')
      .option('--json', 'print machine-readable JSON')
      .option(
        '--mlflow-tracking-uri <url>',
        'mirror the aliases to this MLflow server (default: $MLFLOW_TRACKING_URI)',
      );
  const after = async (flags: MoveFlags) => {
    const line = await afterMove(flags.modelName, flags);
    if (line) console.error(line);
  };
  const reportMove = async (flags: MoveFlags, move: ChampionMove) => {
    console.log(flags.json ? JSON.stringify(move, null, 2) : describeMove(flags.modelName, move));
    await after(flags);
  };

  withMoveOptions(models.command('promote <version>').description('make a version the champion')).action(
    async (ref: string, flags: MoveFlags) => {
      if (!/^\d+$/.test(ref)) throw new Error(`invalid version "${ref}": expected a version number`);
      const move = await promoteChampion(registryOf(), {
        ...manualMove(flags),
        version: Number(ref),
      });
      await reportMove(flags, move);
    },
  );
  withMoveOptions(
    models.command('rollback').description('point the champion back at the champion before the current one'),
  ).action(async (flags: MoveFlags) => {
    await reportMove(flags, await rollbackChampion(registryOf(), manualMove(flags)));
  });
}

/**
 * What `models show <ref>` prints: the version (with what it was fitted on, `trainedThrough`, and the period it was
 * selected on, `selection`), plus the champion history when the ref is the champion, or for the challenger its
 * history, whether it still stands, and its running comparison (the latest re-comparison's reason). With
 * `artifacts`, also its live accuracy: what it served, scored by the last check that had labels for it.
 */
export async function showVersion(
  registry: ModelRegistry,
  modelName: string,
  ref: string,
  artifacts?: BlobStore,
): Promise<unknown> {
  const resolved = await registry.resolve(modelName, ref);
  const live = artifacts && (await readLiveAccuracy(artifacts, modelName, resolved.version));
  const version = live ? { ...resolved, liveAccuracy: live } : resolved;
  if (ref === CHAMPION_ALIAS) {
    return { ...version, championHistory: await registry.aliasHistory(modelName, CHAMPION_ALIAS) };
  }
  if (ref !== CHALLENGER_ALIAS) return version;
  const history = await registry.aliasHistory(modelName, CHALLENGER_ALIAS);
  const champion = await registry.getAlias(modelName, CHAMPION_ALIAS);
  const current = history.at(-1);
  const standing =
    current !== undefined &&
    champion !== undefined &&
    current.version !== champion.version &&
    current.setAt >= champion.setAt;
  return {
    ...version,
    challenger: { standing, championVersion: champion?.version, runningComparison: current?.reason },
    challengerHistory: history,
  };
}

/** Who moves the alias by hand, when, and why: the part every manual move records. */
function manualMove(flags: MoveFlags) {
  return {
    modelName: flags.modelName,
    by: flags.by ?? defaultActor(),
    at: new Date().toISOString(),
    manual: true,
    ...(flags.reason === undefined ? {} : { reason: flags.reason }),
  };
}
