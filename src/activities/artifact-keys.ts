/** Where each kind of artifact lives inside the artifact store. */
export const artifactKeys = {
  /** A data file's rows as the retraining check's inspection parsed them: by the bytes' SHA-256 and the schema. */
  inspectedRows: (sha256: string, schemaKey: string) => `inspected/${sha256}-${schemaKey}.json`,
  datasetData: (hash: string) => `datasets/${hash}/data.bin`,
  datasetSummary: (hash: string) => `datasets/${hash}/summary.json`,
  datasetPipeline: (hash: string) => `datasets/${hash}/pipeline.json`,
  datasetProfile: (hash: string) => `datasets/${hash}/profile.json`,
  datasetValidationRows: (hash: string) => `datasets/${hash}/validation-rows.json`,
  /** Each prepared row's date-time in years (train, early-stopping, validation), for recency weights. */
  datasetRowTimes: (hash: string) => `datasets/${hash}/row-times.json`,
  model: (sha256: string, engine: string) => `models/${sha256}.${engine}.json`,
  /** A model's prediction-interval calibration (src/evaluation/prediction-interval.ts), content-addressed. */
  intervalCalibration: (sha256: string) => `models/${sha256}.interval-calibration.json`,
  /** One ensemble member's one-year-ahead predictions (little-endian float32), content-addressed. */
  oneYearAheadPredictions: (sha256: string) => `calibration/${sha256}.one-year-ahead.f32`,
  /** A model's predictions of its prepared set's validation rows (little-endian float32), content-addressed. */
  validationPredictions: (sha256: string) => `calibration/${sha256}.validation.f32`,
  /** The state of checks before states were keyed by model and prefix (read as the starting point). */
  dataState: (dataUriHash: string) => `data-state/${dataUriHash}.json`,
  /** The prefix of a search's trial table: one object per batch below it. */
  trialTable: (searchWorkflowId: string) => `trials/${searchWorkflowId}/`,
  trialTableBatch: (searchWorkflowId: string, firstIndex: number) =>
    `trials/${searchWorkflowId}/${String(firstIndex).padStart(6, '0')}.jsonl`,
  /** Create-only entries, one per commit: the highest seq is the current state. */
  dataStatePrefix: (stateKey: string) => `data-state/${stateKey}/`,
  dataStateEntry: (stateKey: string, seq: number) =>
    `data-state/${stateKey}/${String(seq).padStart(10, '0')}.json`,
  checkReport: (dataUriHash: string, id: string) => `retrain-checks/${dataUriHash}/${id}.json`,
  runReport: (runId: string) => `reports/${runId}.html`,
};
