import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config';
import { predictWorkflow } from '../workflows/predict';
import type { PredictResult } from '../contracts';
import { appendAll } from '../common/append-all';

/** Rows per prediction workflow: keeps each input well under Temporal's payload limits. */
export const PREDICTION_BATCH_ROWS = 1000;

export async function runPrediction(
  client: Client,
  config: AppConfig,
  input: { modelName: string; version: string; rows: Record<string, unknown>[]; interval?: number },
): Promise<PredictResult> {
  const predictions: number[] = [];
  const intervals: [number, number][] = [];
  let last: PredictResult | undefined;
  for (let start = 0; start < input.rows.length; start += PREDICTION_BATCH_ROWS) {
    const batch = input.rows.slice(start, start + PREDICTION_BATCH_ROWS);
    // Pin the version resolved by the first batch so an alias moving mid-way cannot mix models.
    const version = last ? String(last.version) : input.version;
    last = await client.workflow.execute(predictWorkflow, {
      taskQueue: config.taskQueue,
      workflowId: `predict-${input.modelName}-${Date.now()}-${start}`,
      args: [
        {
          modelName: input.modelName,
          version,
          rows: batch,
          ...(input.interval === undefined ? {} : { interval: input.interval }),
        },
      ],
    });
    appendAll(predictions, last.predictions);
    appendAll(intervals, last.intervals ?? []);
  }
  if (!last) throw new Error('no rows to predict');
  return { ...last, predictions, ...(input.interval === undefined ? {} : { intervals }) };
}
