import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config';
import { openBlobStore } from '../storage/from-uri';
import { batchPredictWorkflow } from '../workflows/batch-predict';
import type { BatchPredictResult } from '../contracts/batch-prediction';

export interface BatchPredictionOutcome extends BatchPredictResult {
  predictions: number[];
  intervals?: [number, number][];
  workflowId: string;
}

/**
 * Scores a whole input through Temporal by reference: the text goes to the artifact store
 * (`prediction-inputs/<sha256>`), one workflow scores it in stored chunks, the predictions are read back.
 */
export async function runBatchPrediction(
  client: Client,
  config: AppConfig,
  input: {
    modelName: string;
    version: string;
    text: string;
    chunkRows?: number;
    window?: number;
    interval?: number;
  },
): Promise<BatchPredictionOutcome> {
  const artifacts = openBlobStore(config.artifactsUri, config.s3);
  const sha = createHash('sha256').update(input.text).digest('hex');
  const inputRef = `prediction-inputs/${sha}`;
  if (!(await artifacts.head(inputRef))) await artifacts.put(inputRef, input.text);
  const workflowId = `batch-predict-${input.modelName}-${Date.now()}-${sha.slice(0, 8)}`;
  const result = await client.workflow.execute(batchPredictWorkflow, {
    taskQueue: config.taskQueue,
    workflowId,
    args: [
      {
        modelName: input.modelName,
        version: input.version,
        inputRef,
        jobId: workflowId,
        ...(input.chunkRows === undefined ? {} : { chunkRows: input.chunkRows }),
        ...(input.window === undefined ? {} : { window: input.window }),
        ...(input.interval === undefined ? {} : { interval: input.interval }),
      },
    ],
  });
  const predictions = JSON.parse((await artifacts.get(result.outputRef)).toString('utf8')) as number[];
  const intervals = result.intervalsRef
    ? (JSON.parse((await artifacts.get(result.intervalsRef)).toString('utf8')) as [number, number][])
    : undefined;
  return { ...result, predictions, ...(intervals ? { intervals } : {}), workflowId };
}
