import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { expect } from 'chai';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures');

describe('replay of recorded histories (a non-deterministic workflow change fails here)', function () {
  this.timeout(60_000);

  for (const [file, workflowId] of [
    ['training-history.json', 'wf-train-1'],
    ['search-history.json', 'wf-train-1-search'],
    ['search-infra-retry-history.json', 'wf-train-infra-search'],
    ['search-tpe-history.json', 'wf-search-tpe'],
    // Several trials per runTrialBatch activity (patch 'trial-batches', issue 21); RECORD_HISTORY=1 in
    // search-workflow.test.ts.
    ['search-batches-history.json', 'wf-search-batches'],
    ['training-report-history.json', 'wf-train-1'],
    // Recorded before patch 'refit-members-on-trial-queue': finalizeModel refits the members itself.
    ['training-refit-ensemble-history.json', 'wf-train-refit-ensemble'],
    // The members refitted as refitMember activities on the trial queue, all at once (issue 21).
    ['training-refit-members-history.json', 'wf-train-refit-members'],
    // Each member's one-year-ahead trainings as oneYearAheadMember activities beside the refits (patch
    // 'one-year-ahead-on-trial-queue', issue 21); RECORD_HISTORY=1 in training-workflow.test.ts.
    ['training-one-year-ahead-members-history.json', 'wf-train-refit-members'],
    // A refit ensemble asked for --interval-calibration validation-year (patch 'interval-method', issue 22).
    ['training-interval-method-history.json', 'wf-train-interval-method'],
    // --interval-calibration worst-year (the CLI's default since issue 22's part 5): the same commands as
    // one-year-ahead; recorded at the commit that added it (no patch: no history before it named the method).
    ['training-worst-year-history.json', 'wf-train-worst-year'],
    // A training asked for --holidays major (patch 'holiday-calendar', issue 22).
    ['training-holiday-calendar-history.json', 'wf-train-holiday-calendar'],
    // A backtest with --holidays major: its settings name the calendar (patch 'backtest-holidays-setting').
    ['backtest-holidays-history.json', 'wf-backtest-holidays'],
    // Recorded with the retrain-check workflow code before the `retrain-check-v2` patch (commit b0d7cce):
    // old checks still in flight replay through retrainCheckV1.
    ['retrain-check-v1-history.json', 'rc-legacy-1'],
    // RECORD_HISTORY=1 in retrain-check-workflow.test.ts.
    ['retrain-check-v2-history.json', 'rc-first'],
    // A drift-triggered run and the next day's `already-retrained` (patch 'drift-retrain-once-per-data-state').
    ['retrain-check-drift-once-history.json', 'rc-drift-1'],
    ['retrain-check-already-retrained-history.json', 'rc-drift-2'],
    // A check that re-compares a standing challenger first (patch 'challenger-recheck', issue 16).
    ['retrain-check-challenger-history.json', 'rc-challenger-1'],
  ]) {
    it(`replays ${file}`, async () => {
      const fixture = path.join(FIXTURES, file);
      expect(fs.existsSync(fixture), `missing ${fixture}; record it with RECORD_HISTORY=1 npm test`).to.equal(
        true,
      );
      const history = historyFromJSON(JSON.parse(fs.readFileSync(fixture, 'utf8')));
      await Worker.runReplayHistory(
        { workflowsPath: require.resolve('../../src/workflows') },
        history,
        workflowId,
      );
    });
  }
});
