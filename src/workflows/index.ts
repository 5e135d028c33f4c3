export { trainingWorkflow, trainingStageQuery } from './training';
export { searchWorkflow, searchProgressQuery } from './search';
export { predictWorkflow } from './predict';
export { retrainCheckWorkflow } from './retrain-check';
export { batchPredictWorkflow } from './batch-predict';
export { backtestWorkflow } from './backtest';
export { monitorBackfillWorkflow } from './monitor-backfill';
