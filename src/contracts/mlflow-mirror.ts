export interface MlflowMirrorCounts {
  experiments: number;
  runs: number;
  trialRuns: number;
  modelVersions: number;
  /** Duplicates (left by a concurrent or retried writer) deleted. */
  duplicatesRemoved: number;
}

export interface MirrorToMlflowResult {
  experimentId: string;
  runId: string;
  trialRuns: number;
  /** This project's version → the MLflow model version that mirrors it. */
  versions: { version: number; mlflowVersion: string }[];
  /** Aliases as MLflow has them now (alias → MLflow version). */
  aliases: Record<string, string>;
  created: MlflowMirrorCounts;
}

/** A training's mirror never fails the training: `failed` says why, and `client mlflow sync` completes it later. */
export type MlflowMirrorSummary =
  | ({ status: 'mirrored'; trackingUri: string } & Omit<MirrorToMlflowResult, 'created'>)
  | { status: 'failed'; trackingUri: string; error: string };
