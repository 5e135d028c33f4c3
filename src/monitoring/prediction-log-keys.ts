/** Where the service's prediction log lives in the artifact store (also read by the retraining check). */
export const PREDICTION_LOG_ROOT = 'predictions';

/** `predictions/<model>/<yyyy-mm-dd>/<hhmmss>-<batch>.jsonl`, the day and time in UTC from `at` (ISO-8601). */
export function predictionLogKey(model: string, at: string, batch: string): string {
  const day = at.slice(0, 10);
  const time = at.slice(11, 19).replaceAll(':', '');
  return `${PREDICTION_LOG_ROOT}/${model}/${day}/${time}-${batch}.jsonl`;
}

/** The prefix holding one model's logged predictions. */
export function predictionLogPrefix(model: string): string {
  return `${PREDICTION_LOG_ROOT}/${model}/`;
}

/**
 * `predictions/<model>/dropped/<yyyy-mm-dd>/<instance>.json`: how many rows of that day's hours one service
 * instance dropped unlogged (buffer over its limit while the store was down), written once the store is back.
 */
export function droppedRowsKey(model: string, day: string, instance: string): string {
  return `${PREDICTION_LOG_ROOT}/${model}/dropped/${day}/${instance}.json`;
}

export function droppedRowsPrefix(model: string, day: string): string {
  return `${PREDICTION_LOG_ROOT}/${model}/dropped/${day}/`;
}
