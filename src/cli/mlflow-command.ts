import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Command } from 'commander';
import {
  emptyCounts,
  mirrorModelRegistry,
  mirrorTraining,
  type MlflowMirrorDeps,
} from '../activities/mlflow-mirror';
import type { AppConfig } from '../config';
import { MlflowClient } from '../mlflow/mlflow-client';
import { credentialsFromEnv, trackingUriFrom } from '../mlflow/mlflow-settings';
import { ModelRegistry } from '../registry/model-registry';
import { openBlobStore } from '../storage/from-uri';
import type { MlflowMirrorCounts, TrainingInput, TrainingResult } from '../contracts';

export interface MlflowCommandDeps {
  loadConfig(): AppConfig;
  connect(config: AppConfig): Promise<Client>;
}

export interface SyncSummary {
  trackingUri: string;
  trainings: { workflowId: string; modelName: string; runId: string }[];
  models: { modelName: string; versions: number; notMirrored: number[]; aliases: Record<string, string> }[];
  created: MlflowMirrorCounts;
}

/** The MLflow client and the stores a mirror needs, for a tracking URI given by flag or MLFLOW_TRACKING_URI. */
export function mirrorDepsOf(config: AppConfig, flag: string | undefined): MlflowMirrorDeps | undefined {
  const trackingUri = trackingUriFrom(flag);
  if (trackingUri === undefined) return undefined;
  const artifacts = openBlobStore(config.artifactsUri, config.s3);
  return {
    artifacts,
    registry: new ModelRegistry(artifacts),
    mlflow: new MlflowClient({ trackingUri, credentials: credentialsFromEnv() }),
    namespace: config.namespace,
  };
}

/**
 * Mirrors every completed training Temporal still has (of one model, or all) and then each model's versions
 * and aliases. What exists is found by its tags and left alone, so running it again creates nothing.
 */
export async function syncMlflow(
  client: Client,
  deps: MlflowMirrorDeps,
  options: { modelName?: string; progress?: (line: string) => void },
): Promise<SyncSummary> {
  const created = emptyCounts();
  const summary: SyncSummary = { trackingUri: deps.mlflow.trackingUri, trainings: [], models: [], created };
  const models = new Set<string>(options.modelName ? [options.modelName] : await deps.registry.listModels());
  const query = "WorkflowType = 'trainingWorkflow' AND ExecutionStatus = 'Completed'";
  const found: { workflowId: string; runId: string; startTime: Date }[] = [];
  for await (const execution of client.workflow.list({ query })) {
    found.push({ workflowId: execution.workflowId, runId: execution.runId, startTime: execution.startTime });
  }
  found.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  for (const execution of found) {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    const result = (await handle.result()) as TrainingResult;
    if (options.modelName && result.modelName !== options.modelName) continue;
    if (!result.search) continue; // prepared a data set only: nothing to show in MLflow
    const history = await handle.fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) throw new Error(`training ${execution.workflowId}: its history has no input`);
    const {
      trialTaskQueue: _queue,
      mlflowTrackingUri: _uri,
      ...training
    } = defaultPayloadConverter.fromPayload<TrainingInput & { trialTaskQueue?: string }>(payload);
    const mirrored = await mirrorTraining(deps, {
      workflowId: execution.workflowId,
      startedAt: execution.startTime.toISOString(),
      training,
      result,
    });
    add(created, mirrored.created);
    summary.trainings.push({
      workflowId: execution.workflowId,
      modelName: result.modelName,
      runId: mirrored.runId,
    });
    models.add(result.modelName);
    options.progress?.(`${execution.workflowId}: MLflow run ${mirrored.runId}`);
  }
  for (const modelName of [...models].sort()) {
    const registry = await mirrorModelRegistry(deps, modelName, created);
    summary.models.push({
      modelName,
      versions: registry.versions.length,
      notMirrored: registry.notMirrored,
      aliases: registry.aliases,
    });
  }
  return summary;
}

export function formatSyncSummary(summary: SyncSummary): string {
  const c = summary.created;
  const lines = [
    `MLflow ${summary.trackingUri}: ${summary.trainings.length} training run(s) in sync`,
    ...summary.models.map((m) => {
      const aliases = Object.entries(m.aliases)
        .map(([alias, v]) => `${alias} → version ${v}`)
        .join(', ');
      const missing =
        m.notMirrored.length > 0
          ? `; not mirrored (training no longer in Temporal): ${m.notMirrored.map((v) => `v${v}`).join(', ')}`
          : '';
      return `  ${m.modelName}: ${m.versions} version(s)${aliases ? `, ${aliases}` : ''}${missing}`;
    }),
    `created: ${c.experiments} experiment(s), ${c.runs} run(s), ${c.trialRuns} trial run(s), ${c.modelVersions} model version(s); duplicates removed: ${c.duplicatesRemoved}`,
  ];
  return lines.join('\n');
}

function add(into: MlflowMirrorCounts, more: MlflowMirrorCounts): void {
  for (const key of Object.keys(into) as (keyof MlflowMirrorCounts)[]) into[key] += more[key];
}

/** `mlflow sync [--model-name M]`: completes mirrors that failed (MLflow down) or never ran. */
export function addMlflowCommands(program: Command, deps: MlflowCommandDeps): void {
  const mlflow = program.command('mlflow').description('mirror runs and the registry to an MLflow server');
  mlflow
    .command('sync')
    .description(
      'mirror every completed training Temporal still has, each model version and the champion/challenger aliases to MLflow; creates only what is missing',
    )
    .option('--model-name <name>', 'only this registered model (default: all)')
    .option('--mlflow-tracking-uri <url>', 'the MLflow server (default: $MLFLOW_TRACKING_URI)')
    .option('--json', 'print machine-readable JSON')
    .action(async (flags: { modelName?: string; mlflowTrackingUri?: string; json?: boolean }) => {
      const config = deps.loadConfig();
      const mirror = mirrorDepsOf(config, flags.mlflowTrackingUri);
      if (!mirror) throw new Error('no MLflow server: set MLFLOW_TRACKING_URI or pass --mlflow-tracking-uri');
      const client = await deps.connect(config);
      const summary = await syncMlflow(client, mirror, {
        ...(flags.modelName === undefined ? {} : { modelName: flags.modelName }),
        progress: flags.json ? undefined : (line) => console.error(line),
      });
      console.log(flags.json ? JSON.stringify(summary, null, 2) : formatSyncSummary(summary));
    });
}

/**
 * After `models promote`/`rollback`: the aliases in MLflow follow at once when MLflow is configured. The move
 * itself is done; an MLflow that cannot be reached only warns (`mlflow sync` catches up later).
 */
export async function mirrorAliasesAfterMove(
  config: AppConfig,
  modelName: string,
  flag: string | undefined,
): Promise<string | undefined> {
  const mirror = mirrorDepsOf(config, flag);
  if (!mirror) return undefined;
  try {
    const result = await mirrorModelRegistry(mirror, modelName);
    const aliases = Object.entries(result.aliases).map(([alias, v]) => `${alias} → version ${v}`);
    return `MLflow: ${aliases.length > 0 ? aliases.join(', ') : 'no mirrored alias'}`;
  } catch (err) {
    return `MLflow not updated (${(err as Error).message}); run \`mlflow sync --model-name ${modelName}\` later`;
  }
}
