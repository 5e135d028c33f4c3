import type { OneYearAheadMemberInput, OneYearAheadMemberResult } from '../contracts';
import { artifactKeys } from './artifact-keys';
import { memberOneYearAhead, oneYearAheadSplits, type OneYearAheadDeps } from './one-year-ahead';
import { storePredictions } from './stored-predictions';
import { inTrialSlot } from './trial-slot';

/**
 * The oneYearAheadMember activity: one selected trial's one-year-ahead trainings (src/activities/one-year-ahead.ts)
 * in a trial slot, so the members' trainings run at once with the refits over every worker's training threads.
 * The predictions are stored by reference; finalizeModel averages them.
 */
export function oneYearAheadMemberWith(
  deps: OneYearAheadDeps,
  input: OneYearAheadMemberInput,
): Promise<OneYearAheadMemberResult> {
  const { trial } = input;
  return inTrialSlot(
    `one-year-ahead trainings of ${trial.trialId}`,
    { trialId: trial.trialId, step: 'one-year-ahead: loading' },
    async ({ signal, progress }) => {
      const splits = await oneYearAheadSplits(deps, input);
      if (!splits) return { trialId: trial.trialId, years: [], rows: 0 };
      const predicted = await memberOneYearAhead(deps, input, splits, trial, {
        signal,
        onYear: (year) => progress({ trialId: trial.trialId, step: 'one-year-ahead', year }),
      });
      return {
        trialId: trial.trialId,
        years: splits.years.map((s) => s.year),
        rows: predicted.length,
        predictionsRef: await storePredictions(
          deps.artifacts,
          predicted,
          artifactKeys.oneYearAheadPredictions,
        ),
      };
    },
  );
}
