/** Where each kind of artifact lives inside the artifact store. */
export const artifactKeys = {
  datasetData: (hash: string) => `datasets/${hash}/data.bin`,
  datasetSummary: (hash: string) => `datasets/${hash}/summary.json`,
  datasetPipeline: (hash: string) => `datasets/${hash}/pipeline.json`,
  datasetProfile: (hash: string) => `datasets/${hash}/profile.json`,
  model: (sha256: string, engine: string) => `models/${sha256}.${engine}.json`,
  dataState: (dataUriHash: string) => `data-state/${dataUriHash}.json`,
  trialTable: (searchWorkflowId: string) => `trials/${searchWorkflowId}.jsonl`,
  checkReport: (dataUriHash: string, id: string) => `retrain-checks/${dataUriHash}/${id}.json`,
  runReport: (runId: string) => `reports/${runId}.html`,
};
