import { Context } from '@temporalio/activity';
import { dedupeRows } from '../data/dedupe';
import type { ModelRegistry } from '../registry/model-registry';
import type { BlobStore } from '../storage/blob-store';
import type { ChallengerCheckResult, RecheckChallengerInput } from '../contracts';
import { compareContenders, served } from './champion-comparison';
import { nonRetryable } from './errors';
import { readDataFiles } from './read-data-files';
import { CHALLENGER, CHAMPION } from './register';
import type { ScoreDeps } from './score-version';

export interface RecheckChallengerDeps extends ScoreDeps {
  registry: ModelRegistry;
  openDataStore(uri: string): BlobStore;
}

/**
 * A challenger (registered, not promoted) against the champion on the labelled rows that arrived after both were
 * fitted: promoted when the evidence rule holds, otherwise it keeps standing. A challenger stands while its alias
 * was set after the champion's last move (a promotion or rollback since retires it).
 */
export async function recheckChallengerWith(
  deps: RecheckChallengerDeps,
  input: RecheckChallengerInput,
): Promise<ChallengerCheckResult> {
  for (;;) {
    const championAlias = await deps.registry.getAlias(input.modelName, CHAMPION);
    const challengerAlias = await deps.registry.getAlias(input.modelName, CHALLENGER);
    if (
      !championAlias ||
      !challengerAlias ||
      challengerAlias.version === championAlias.version ||
      challengerAlias.setAt < championAlias.setAt
    ) {
      return { outcome: 'none', ...(championAlias ? { championVersion: championAlias.version } : {}) };
    }
    const champion = served(await deps.registry.resolve(input.modelName, championAlias.version));
    const challenger = served(await deps.registry.resolve(input.modelName, challengerAlias.version));
    const after =
      champion.trainedThrough > challenger.trainedThrough
        ? champion.trainedThrough
        : challenger.trainedThrough;
    const fromYear = Number(after.slice(0, 4));
    const store = deps.openDataStore(input.dataUri);
    const newer = input.objects.filter((object) => object.year >= fromYear);
    const { rows, unreadable } = await readDataFiles(
      { artifacts: deps.artifacts, store },
      newer,
      input.schema,
    );
    if (unreadable.length > 0) throw nonRetryable('DatasetError', unreadable.join('; '));
    Context.current().heartbeat({
      step: 'comparing',
      champion: champion.version,
      challenger: challenger.version,
    });
    const comparison = await compareContenders(deps, champion, challenger, dedupeRows(rows), input.evidence);
    const base = { championVersion: champion.version, challengerVersion: challenger.version, comparison };
    if (comparison.decision !== 'promoted') {
      // The running comparison, recorded on the challenger's alias whenever newer rows changed it.
      if (challengerAlias.reason !== comparison.reason) {
        await deps.registry.setAlias({
          modelName: input.modelName,
          alias: CHALLENGER,
          version: challenger.version,
          expectedSeq: challengerAlias.seq,
          reason: comparison.reason,
          setAt: new Date().toISOString(),
          by: 'retrain-check',
          runId: input.checkId,
          action: 'promote',
        });
      }
      return { outcome: comparison.decision, ...base };
    }
    if (
      await deps.registry.setAlias({
        modelName: input.modelName,
        alias: CHAMPION,
        version: challenger.version,
        expectedSeq: championAlias.seq,
        reason: comparison.reason,
        setAt: new Date().toISOString(),
        by: 'retrain-check',
        runId: input.checkId,
        action: 'promote',
      })
    ) {
      return { outcome: 'promoted', ...base, championVersion: challenger.version };
    }
    // Another writer moved the champion meanwhile: look again.
  }
}
