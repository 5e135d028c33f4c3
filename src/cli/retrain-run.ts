import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config';
import { retrainCheckWorkflow } from '../workflows/retrain-check';
import { MODEL_NAME, RUN_TRIGGER } from '../workflows/search-attributes';
import type { RetrainCheckInput, RetrainCheckResult } from '../workflows/types';

export async function startRetrainCheck(
  client: Client,
  config: AppConfig,
  input: RetrainCheckInput,
  workflowId?: string,
) {
  return client.workflow.start(retrainCheckWorkflow, {
    taskQueue: config.taskQueue,
    workflowId:
      workflowId ??
      `retrain-check-adhoc-${new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z')}`,
    args: [{ ...input, trialTaskQueue: config.trialTaskQueue }],
    memo: { dataUri: input.dataUri, policy: JSON.stringify(input.policy) },
    typedSearchAttributes: [
      { key: MODEL_NAME, value: input.training.modelName },
      { key: RUN_TRIGGER, value: input.trigger },
    ],
  });
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
      `drift vs champion v${r.drift.championVersion} on ${r.drift.rows} rows${r.drift.smallSample ? ' (small sample: PSI is noisy)' : ''}: ${psi}`,
    );
    if (r.drift.decay) {
      const d = r.drift.decay;
      lines.push(
        `decay: champion RMSE ${d.rmse.toFixed(1)} on new data vs ${d.validationRmse.toFixed(1)} on validation (×${d.ratio.toFixed(2)})`,
      );
    }
    lines.push(`report: ${r.drift.reportRef}`);
  }
  if (r.trainingWorkflowId)
    lines.push(
      `training: ${r.trainingWorkflowId}${r.training?.bestRmse ? `, best RMSE ${r.training.bestRmse.toFixed(1)}, champion v${r.training.championVersion} (${r.training.championDecision})` : ''}`,
    );
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
