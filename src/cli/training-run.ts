import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { AppConfig } from '../config';
import { newRunId } from '../common/run-id';
import { startRun } from '../runtime/start-run';
import { MODEL_NAME, RUN_TRIGGER } from '../contracts/search-attributes';
import { searchProgressQuery } from '../workflows/search';
import { trainingStageQuery, trainingWorkflow } from '../workflows/training';
import type { SearchProgress, TrainingInput, TrainingResult, TrainingStage } from '../contracts';

export async function startTraining(
  client: Client,
  config: AppConfig,
  input: TrainingInput,
  workflowId = newRunId(`train-${input.modelName}`),
): Promise<WorkflowHandle<typeof trainingWorkflow>> {
  return startRun(client, workflowId, (withSearchAttributes) =>
    client.workflow.start(trainingWorkflow, {
      taskQueue: config.taskQueue,
      workflowId,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [{ ...input, trialTaskQueue: config.trialTaskQueue }],
      memo: {
        dataUri: input.dataUri,
        years: input.years.join(','),
        validationYear: input.validationYear,
        trials: input.params ? 1 : input.trials,
        engine: input.engine,
        trigger: input.trigger,
      },
      typedSearchAttributes: withSearchAttributes
        ? [
            { key: MODEL_NAME, value: input.modelName },
            { key: RUN_TRIGGER, value: input.trigger },
          ]
        : undefined,
    }),
  );
}

export function describeProgress(stage: TrainingStage, p?: SearchProgress): string {
  if (stage !== 'searching' || !p) return `stage: ${stage}`;
  const best = p.best ? `, best RMSE ${p.best.rmse.toFixed(1)} (${p.best.trialId})` : '';
  return `stage: searching, trials ${p.done + p.failed}/${p.total} done (${p.failed} failed, ${p.running} running)${best}`;
}

/** Waits for the run, printing a progress line whenever it changes. */
export async function waitForTraining(
  client: Client,
  handle: WorkflowHandle<typeof trainingWorkflow>,
  print: (line: string) => void,
  everyMs = 1500,
): Promise<TrainingResult> {
  let last = '';
  let done = false;
  const poll = async () => {
    while (!done) {
      try {
        const stage = await handle.query(trainingStageQuery);
        const progress =
          stage === 'searching'
            ? await client.workflow
                .getHandle(`${handle.workflowId}-search`)
                .query(searchProgressQuery)
                .catch(() => undefined)
            : undefined;
        const line = describeProgress(stage, progress);
        if (line !== last && !done) print(line);
        last = line;
      } catch {
        // The run may not have a worker yet, or may just have finished; the result decides.
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };
  const polling = poll();
  try {
    return await handle.result();
  } finally {
    done = true;
    await polling;
  }
}
