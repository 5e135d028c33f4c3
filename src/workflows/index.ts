export { trainingWorkflow, trainingStageQuery } from './training';
export { searchWorkflow, searchProgressQuery } from './search';
export { predictWorkflow } from './predict';
export { retrainCheckWorkflow } from './retrain-check';
export { backtestWorkflow } from './backtest';
