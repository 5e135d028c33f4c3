import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes that make runs filterable in the Web UI; registered on the server at start-up. */
export const MODEL_NAME = defineSearchAttributeKey('TrafficModelName', SearchAttributeType.KEYWORD);
export const RUN_TRIGGER = defineSearchAttributeKey('TrafficRunTrigger', SearchAttributeType.KEYWORD);
export const BEST_RMSE = defineSearchAttributeKey('TrafficBestRmse', SearchAttributeType.DOUBLE);
export const RETRAIN_DECISION = defineSearchAttributeKey(
  'TrafficRetrainDecision',
  SearchAttributeType.KEYWORD,
);

export const CUSTOM_SEARCH_ATTRIBUTES = [MODEL_NAME, RUN_TRIGGER, BEST_RMSE, RETRAIN_DECISION];
