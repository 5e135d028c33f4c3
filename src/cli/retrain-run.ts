import type { Client } from '@temporalio/client';
import { formatComparison } from './format';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { AppConfig } from '../config';
import { newRunId } from '../common/run-id';
import { startRun } from '../runtime/start-run';
import { retrainCheckWorkflow } from '../workflows/retrain-check';
import { MODEL_NAME, RUN_TRIGGER } from '../contracts/search-attributes';
import type { LiveAccuracySummary, RetrainCheckInput, RetrainCheckResult } from '../contracts';

export async function startRetrainCheck(
  client: Client,
  config: AppConfig,
  input: RetrainCheckInput,
  workflowId = newRunId('retrain-check-adhoc'),
) {
  return startRun(client, workflowId, (withSearchAttributes) =>
    client.workflow.start(retrainCheckWorkflow, {
      taskQueue: config.taskQueue,
      workflowId,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [{ ...input, trialTaskQueue: config.trialTaskQueue }],
      memo: { dataUri: input.dataUri, policy: JSON.stringify(input.policy) },
      typedSearchAttributes: withSearchAttributes
        ? [
            { key: MODEL_NAME, value: input.training.modelName },
            { key: RUN_TRIGGER, value: input.trigger },
          ]
        : undefined,
    }),
  );
}

/** What was served, scored on the newly arrived labelled rows: one line per served version. */
function formatLiveAccuracy(a: LiveAccuracySummary): string[] {
  const skipped = [
    a.unmatched > 0 ? `${a.unmatched} served hours without a label yet` : '',
    a.duplicates > 0 ? `${a.duplicates} repeated log rows (last answer kept)` : '',
    a.ambiguousLabels > 0 ? `${a.ambiguousLabels} hours with disagreeing labels left out` : '',
    a.badLogLines > 0 ? `${a.badLogLines} unreadable log lines` : '',
  ].filter(Boolean);
  const head = `live accuracy: ${a.matched} served hours matched with ${a.labelledRows} new labelled rows (${a.logFiles} log files)${skipped.length ? `; ${skipped.join(', ')}` : ''}`;
  return [
    head,
    ...a.byVersion.map(
      (v) =>
        `  v${v.version}: ${v.rows} rows ${v.from} .. ${v.to}, RMSE ${v.rmse.toFixed(1)}, MAE ${v.mae.toFixed(1)}`,
    ),
  ];
}

export function formatRetrainResult(r: RetrainCheckResult): string {
  const lines = [`decision: ${r.decision}${r.retrained ? ' → retrained' : ''}`];
  for (const reason of r.reasons) lines.push(`  - ${reason}`);
  lines.push(
    `objects: ${r.diff.added.length} new, ${r.diff.changed.length} changed, ${r.diff.removed.length} removed, ${r.diff.unchanged.length} unchanged`,
  );
  if (r.drift) {
    const psi = Object.entries(r.drift.psi)
      .map(([f, v]) => `${f} ${v.toFixed(3)}`)
      .join(', ');
    lines.push(
      `drift vs champion v${r.drift.championVersion} on ${r.drift.rows} rows${r.drift.seasonMatched ? ' (season-matched)' : ''}${r.drift.smallSample ? ' (small sample: PSI is noisy)' : ''}: ${psi}`,
    );
    if (r.drift.decay?.verdict !== undefined) {
      const d = r.drift.decay;
      const bound = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(2));
      lines.push(
        `decay (${d.verdict}): champion RMSE ${d.rmse.toFixed(1)} on ${d.rows} rows after its training data (${d.from} … ${d.to}, ${d.days} days) vs expected ${d.expectedRmse?.toFixed(1)} (${d.expectedFrom}), ×${d.ratio.toFixed(2)} [${bound(d.low)}, ${bound(d.high)}]`,
      );
    } else if (r.drift.decay) {
      const d = r.drift.decay;
      lines.push(
        `decay: champion RMSE ${d.rmse.toFixed(1)} on new data vs ${d.validationRmse.toFixed(1)} on validation (×${d.ratio.toFixed(2)})`,
      );
      if (d.interval) {
        lines.push(
          `intervals: ${(d.interval.coverage * 100).toFixed(1)} % of the new labels inside the champion's ${d.interval.level * 100} % intervals (mean width ${d.interval.meanWidth.toFixed(0)})`,
        );
      }
    }
    lines.push(`report: ${r.drift.reportRef}`);
  }
  if (r.liveAccuracy) lines.push(...formatLiveAccuracy(r.liveAccuracy));
  if (r.trainingWorkflowId)
    lines.push(
      `training: ${r.trainingWorkflowId}${r.training?.bestRmse ? `, best RMSE ${r.training.bestRmse.toFixed(1)}, champion v${r.training.championVersion} (${r.training.championDecision})` : ''}`,
    );
  if (r.comparison) lines.push(formatComparison(r.comparison));
  lines.push(`data state committed: ${r.stateCommitted ? 'yes' : 'no'}`);
  return lines.join('\n');
}

export async function runRetrainCheck(
  client: Client,
  config: AppConfig,
  input: RetrainCheckInput,
  workflowId?: string,
): Promise<RetrainCheckResult> {
  const handle = await startRetrainCheck(client, config, input, workflowId);
  return handle.result();
}
