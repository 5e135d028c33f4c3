import type {
  BatchPredictInput,
  JoinPredictionOutputInput,
  PredictChunkInput,
  SplitPredictionInputResult,
} from './batch-prediction';
import type { PrepareDatasetInput, PreparedDatasetSummary } from './dataset';
import type { MonitorDaysInput, MonitorDaysResult } from './monitoring';
import type { PredictInput, PredictResult, ScoreYearInput, ScoreYearResult } from './prediction';
import type { BuildRunReportInput, BuildRunReportResult, MirrorToMlflowInput } from './reporting';
import type { MirrorToMlflowResult } from './mlflow-mirror';
import type {
  AssessDriftInput,
  ChallengerCheckResult,
  RefreshRecordResult,
  CommitDataStateInput,
  CommitDataStateResult,
  DataStateInspection,
  DescribeTrainingDataInput,
  DriftSummary,
  FindTrainingInput,
  InspectDataStateInput,
  LiveAccuracySummary,
  MeasureLiveAccuracyInput,
  RecheckChallengerInput,
  RefreshRecordInput,
  TrainingDataDescription,
  TrainingLookup,
} from './retraining';
import type {
  AppendTrialTableInput,
  AppendTrialTableResult,
  FinalizeModelInput,
  OneYearAheadMemberInput,
  OneYearAheadMemberResult,
  RefitMemberInput,
  RefitMemberResult,
  RunTrialBatchInput,
  RunTrialBatchResult,
  RunTrialInput,
  TrialResult,
} from './search';
import type { RegisterModelsInput, RegisterModelsResult } from './training';

/**
 * Every activity the workers register, by name: what workflows schedule through `proxyActivities<Activities>`
 * and what `createActivities` (src/activities) implements. One input object and one result each.
 */
export interface Activities {
  prepareDataset(input: PrepareDatasetInput): Promise<PreparedDatasetSummary>;
  runTrial(input: RunTrialInput): Promise<TrialResult>;
  runTrialBatch(input: RunTrialBatchInput): Promise<RunTrialBatchResult>;
  appendTrialTable(input: AppendTrialTableInput): Promise<AppendTrialTableResult>;
  refitMember(input: RefitMemberInput): Promise<RefitMemberResult>;
  oneYearAheadMember(input: OneYearAheadMemberInput): Promise<OneYearAheadMemberResult>;
  finalizeModel(input: FinalizeModelInput): Promise<TrialResult & { modelRef: string }>;
  registerModels(input: RegisterModelsInput): Promise<RegisterModelsResult>;
  buildRunReport(input: BuildRunReportInput): Promise<BuildRunReportResult>;
  mirrorToMlflow(input: MirrorToMlflowInput): Promise<MirrorToMlflowResult>;
  scoreYear(input: ScoreYearInput): Promise<ScoreYearResult>;
  predict(input: PredictInput): Promise<PredictResult>;
  splitPredictionInput(input: BatchPredictInput): Promise<SplitPredictionInputResult>;
  predictChunk(input: PredictChunkInput): Promise<{ rows: number }>;
  joinPredictionOutput(input: JoinPredictionOutputInput): Promise<{ rows: number }>;
  inspectDataState(input: InspectDataStateInput): Promise<DataStateInspection>;
  describeTrainingData(input: DescribeTrainingDataInput): Promise<TrainingDataDescription>;
  findTraining(input: FindTrainingInput): Promise<TrainingLookup>;
  assessDrift(input: AssessDriftInput): Promise<DriftSummary | undefined>;
  measureLiveAccuracy(input: MeasureLiveAccuracyInput): Promise<LiveAccuracySummary>;
  recheckChallenger(input: RecheckChallengerInput): Promise<ChallengerCheckResult>;
  judgeRefreshRecord(input: RefreshRecordInput): Promise<RefreshRecordResult>;
  commitDataState(input: CommitDataStateInput): Promise<CommitDataStateResult>;
  monitorDays(input: MonitorDaysInput): Promise<MonitorDaysResult>;
}
