import type { SamplerKind } from '../contracts';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_FEATURE_SET, FEATURE_SETS, type FeatureSet } from '../features/feature-pipeline';
import {
  durationMs,
  nonNegativeInt,
  parseBool,
  positiveInt,
  namedShare,
  share,
  storageUri,
} from '../runtime/arguments';
import { DEFAULT_MAX_BAD_ROW_SHARE } from '../data/bad-row-limit';
import { SHAP_SAMPLE_ROWS } from '../evaluation/shap-sample';
import { trackingUriFrom } from '../mlflow/mlflow-settings';
import { validateParams } from '../search/params';
import { selectFeatures } from '../features/feature-selection';
import { assertHalfLife } from '../features/recency-weights';
import { resolveEngineName } from '../engines/select-engine';
import { INTERVAL_METHODS, parseIntervalMethod } from '../evaluation/prediction-interval';
import { DEFAULT_INTERVAL_METHOD, type IntervalMethod } from '../contracts/search';
import { HOLIDAY_CALENDARS, type HolidayCalendar } from '../contracts/dataset';
import type { EngineChoice, XGBoostParams } from '../contracts/domain';
import { DEFAULT_MAX_FAILED_SHARE } from '../workflows/failure-budget';
import { DEFAULT_INFRA_RETRY_WINDOW_MS } from '../workflows/trial-retry';
import { MAX_TRIALS } from '../workflows/search-strategy';
import { DEFAULT_EVIDENCE, type PruningKind, type TrainingInput } from '../contracts';

export const DEFAULT_MODEL_NAME = 'traffic-volume-predictor';
export const DEFAULT_FILE_PREFIX = 'Metro_Interstate_Traffic_Volume';
export const DEFAULT_COLUMNS = ['holiday', 'temp', 'rain_1h', 'snow_1h', 'clouds_all', 'weather_main'];
/** Chosen from the backtest (docs/model-quality.md). */
export const DEFAULT_REFIT = true;
export const DEFAULT_ENSEMBLE = 5;
/** v2's holiday calendar unless told (`--holidays`): the six holidays most employers close on. */
export const DEFAULT_HOLIDAYS: HolidayCalendar = 'major';
/** Recency half-life in years unless told (`--recency-half-life`), where trials run on the native engine. */
export const DEFAULT_RECENCY_HALF_LIFE = 0.5;

/**
 * The quality settings a training gets unless its flags say otherwise: the major holidays (v2), recency weights
 * (only when the engine is native here: the wasm engine has no sample weights) and the interval calibration.
 */
export function qualityDefaults(
  features: FeatureSet,
  engine: EngineChoice,
): Pick<TrainingInput, 'holidays' | 'recencyHalfLife' | 'intervalMethod'> {
  // `native` keeps its default even where the library is missing: the training then fails on the engine itself.
  const native = engine === 'native' || resolveEngineName(engine) === 'native';
  return {
    ...(features === 'v2' ? { holidays: DEFAULT_HOLIDAYS } : {}),
    ...(native ? { recencyHalfLife: DEFAULT_RECENCY_HALF_LIFE } : {}),
    intervalMethod: DEFAULT_INTERVAL_METHOD,
  };
}

/** qualityDefaults with the flags that were given in their place. */
export function qualitySettings(
  features: FeatureSet,
  engine: EngineChoice,
  flags: Pick<TrainingFlags, 'holidays' | 'recencyHalfLife' | 'intervalCalibration'>,
): ReturnType<typeof qualityDefaults> {
  const quality = qualityDefaults(features, engine);
  if (flags.holidays !== undefined) quality.holidays = flags.holidays;
  if (flags.recencyHalfLife === 'off') delete quality.recencyHalfLife;
  else if (flags.recencyHalfLife !== undefined) quality.recencyHalfLife = flags.recencyHalfLife;
  if (flags.intervalCalibration !== undefined) quality.intervalMethod = flags.intervalCalibration;
  return quality;
}

export interface TrainingFlags {
  modelName: string;
  dataUri?: string;
  filePrefix: string;
  columns: string[];
  dateTime: string;
  target: string;
  years: number[];
  valYear?: number;
  trials: number;
  top: number;
  parallelism: number;
  trialsPerActivity?: number;
  seed: number;
  engine?: EngineChoice;
  earlyStopping: number;
  params?: XGBoostParams;
  sampler?: SamplerKind;
  pruning?: PruningKind;
  reproducible?: boolean;
  fineTuning: boolean;
  register: boolean;
  infraRetryWindow?: number;
  maxFailedShare?: number;
  features: FeatureSet;
  refit: boolean;
  ensemble: number;
  shapRows?: number;
  maxBadRows?: number;
  mlflowTrackingUri?: string;
  without?: string[];
  with?: string[];
  /** `off`: no recency weights; absent: DEFAULT_RECENCY_HALF_LIFE on the native engine. */
  recencyHalfLife?: number | 'off';
  intervalCalibration?: IntervalMethod;
  holidays?: HolidayCalendar;
  minComparisonDays?: number;
  promotionConfidence?: number;
}

function confidence(value: string): number {
  const n = Number(value.endsWith('%') ? Number(value.slice(0, -1)) / 100 : value);
  if (!(n > 0 && n < 1))
    throw new InvalidArgumentError(`${value} is not a confidence in (0, 1), e.g. 0.95 or 95%`);
  return n;
}

function trialCount(value: string): number {
  const n = positiveInt(value);
  if (n > MAX_TRIALS)
    throw new InvalidArgumentError(`${n} is above the limit of ${MAX_TRIALS} trials per search`);
  return n;
}

/** `2012-2016`, `2012,2014,2016` or `2016`. */
export function parseYears(value: string): number[] {
  const years = new Set<number>();
  for (const part of value.split(',')) {
    const m = /^\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?$/.exec(part);
    if (!m) throw new InvalidArgumentError(`"${value}" is not a year list such as 2012-2016 or 2012,2013`);
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    if (to < from) throw new InvalidArgumentError(`"${part.trim()}": the range runs backwards`);
    for (let y = from; y <= to; y++) years.add(y);
  }
  return [...years].sort((a, b) => a - b);
}

function parseParamsJson(value: string): XGBoostParams {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('is not valid JSON');
  }
  try {
    return validateParams(parsed);
  } catch (err) {
    throw new InvalidArgumentError(
      (err as Error).message.replace(/\s*\n\s*(→\s*)?/g, ' ').replace(/✖/g, ';'),
    );
  }
}

/** `--recency-half-life`: years, or `off`. */
export function halfLifeYears(value: string): number | 'off' {
  if (value === 'off') return 'off';
  const years = Number(value);
  try {
    assertHalfLife(years);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return years;
}

function columnList(value: string): string[] {
  const cols = value
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (cols.length === 0) throw new InvalidArgumentError('needs at least one column');
  return cols;
}

/** The flags of `train`, shared by `retrain-check` and `schedule create` (for the trainings they start). */
export function addTrainingOptions(cmd: Command, opts: { withYears: boolean }): Command {
  cmd
    .option(
      '--model-name <name>',
      'name to register the best models with (seed: name_to_register_with)',
      DEFAULT_MODEL_NAME,
    )
    .option(
      '--data-uri <uri>',
      'where the {prefix}_{year}.csv files live: s3://bucket/prefix or file://dir (seed: BUCKET_NAME); default $DATA_URI',
      storageUri,
    )
    .option('--file-prefix <prefix>', 'object name prefix (seed: FILE_PATH_PREFIX)', DEFAULT_FILE_PREFIX)
    .option(
      '--columns <list>',
      'comma-separated feature columns (seed: COLUMNS)',
      columnList,
      DEFAULT_COLUMNS,
    )
    .option('--date-time <column>', 'date-time column (seed: DATE_TIME)', 'date_time')
    .option('--target <column>', 'target column (seed: TARGET)', 'traffic_volume')
    .option(
      '--trials <n>',
      `trials in the hyperparameter search, at most ${MAX_TRIALS} (seed: MAX_EVALS)`,
      trialCount,
      100,
    )
    .option('--top <n>', 'best models to register (seed: N_BEST_MODELS)', positiveInt, 2)
    .option('--parallelism <n>', 'trials pending at once (sliding window)', positiveInt, 16)
    .option(
      '--trials-per-activity <n>',
      'trials one activity runs one after another (default: from the measured trial time; 1: one each)',
      positiveInt,
    )
    .option('--seed <n>', 'seed of the parameter sampler', nonNegativeInt, 42)
    .addOption(
      new Option(
        '--engine <engine>',
        'XGBoost engine for trials (default: $XGBOOST_ENGINE, else auto)',
      ).choices(['auto', 'native', 'wasm']),
    )
    .option(
      '--early-stopping <rounds>',
      'early-stopping rounds on the early-stopping slice of the training years (native engine; 0 = off)',
      nonNegativeInt,
      30,
    )
    .addOption(
      new Option('--sampler <kind>', 'how trials are proposed: TPE or random search')
        .choices(['tpe', 'random'])
        .default('tpe'),
    )
    .addOption(
      new Option(
        '--pruning <kind>',
        'stop losing trials at ASHA rungs of boosting rounds (default: asha, none with the wasm engine)',
      ).choices(['none', 'asha']),
    )
    .option(
      '--reproducible <bool>',
      'trial i is proposed from trials 0 … i − parallelism only: same seed, same trials, whatever the workers',
      parseBool,
      true,
    )
    .option('--params <json>', 'skip the search: train once with these XGBoost parameters', parseParamsJson)
    .option('--fine-tuning <bool>', 'run the search (seed: IS_RUN_FINE_TUNING)', parseBool, true)
    .option('--register <bool>', 'register the best models (seed: IS_REGISTER_MODELS)', parseBool, true)
    .option(
      '--infra-retry-window <duration>',
      'how long a trial retries an unreachable or throttled artifact store before it fails (e.g. 30m, 2h)',
      durationMs,
      DEFAULT_INFRA_RETRY_WINDOW_MS,
    )
    .option(
      '--max-failed-share <share>',
      'the search fails, registering nothing, when more than this share of its trials failed (e.g. 10%, 0.05)',
      share,
      DEFAULT_MAX_FAILED_SHARE,
    )
    .addOption(
      new Option('--features <version>', 'feature pipeline: v1 (seed parity) or v2 (calendar, cleaning)')
        .choices([...FEATURE_SETS])
        .default(DEFAULT_FEATURE_SET),
    )
    .option(
      '--refit [bool]',
      'refit the selected model on the training + validation years with its selected rounds',
      parseBool,
      DEFAULT_REFIT,
    )
    .option(
      '--ensemble <k>',
      'register the average of the top k trials as one model (1 = off)',
      positiveInt,
      DEFAULT_ENSEMBLE,
    )
    .option(
      '--shap-rows <n>',
      `validation rows the run report's SHAP summary is computed on (default ${SHAP_SAMPLE_ROWS}; predictions use all)`,
      positiveInt,
    )
    .option(
      '--without <list>',
      'ablation: leave out these inputs, raw columns or v2 features (e.g. holiday_adjacent,day_of_year)',
      columnList,
    )
    .option('--with <list>', 'add these raw columns to --columns (e.g. weather_description)', columnList)
    .option(
      '--recency-half-life <years|off>',
      `weight training rows by age: a row's weight halves every <years> (native engine; default ${DEFAULT_RECENCY_HALF_LIFE} on it, off on wasm)`,
      halfLifeYears,
    )
    .addOption(
      new Option(
        '--holidays <calendar>',
        `v2 holidays: federal (every federal holiday and the State Fair) or major (the six most employers close on; default ${DEFAULT_HOLIDAYS})`,
      ).choices(HOLIDAY_CALENDARS),
    )
    .option(
      '--interval-calibration <method>',
      `prediction-interval calibration: ${INTERVAL_METHODS.join(' or ')} (default ${DEFAULT_INTERVAL_METHOD}; docs/model-quality.md)`,
      (value: string) => {
        try {
          return parseIntervalMethod(value);
        } catch (err) {
          throw new InvalidArgumentError((err as Error).message);
        }
      },
    )
    .option(
      '--max-bad-rows <share>',
      `largest share of malformed rows per file, e.g. 0.01 or 1% (default: $MAX_BAD_ROWS or ${DEFAULT_MAX_BAD_ROW_SHARE * 100}%)`,
      (value: string) => namedShare(value, '--max-bad-rows'),
    )
    .option(
      '--min-comparison-days <days>',
      'promote only with at least this many days of labelled rows neither model was fitted on',
      positiveInt,
      DEFAULT_EVIDENCE.minComparisonDays,
    )
    .option(
      '--promotion-confidence <c>',
      'promote when the upper bound of this two-sided interval of the RMSE difference is below zero (0.95 or 95%)',
      confidence,
      DEFAULT_EVIDENCE.promotionConfidence,
    )
    .option(
      '--mlflow-tracking-uri <url>',
      'mirror the run, its trials and registered versions to this MLflow server (default: $MLFLOW_TRACKING_URI; unset: no mirror)',
    );
  if (opts.withYears) {
    cmd
      .option('--years <years>', 'years to read, e.g. 2012-2016', parseYears, [2012, 2013, 2014, 2015, 2016])
      .option('--val-year <year>', 'validation year (default: the last of --years)', positiveInt);
  }
  return cmd;
}

export function trainingInputFrom(
  flags: TrainingFlags,
  defaults: { dataUri: string; engine: EngineChoice; trigger: TrainingInput['trigger'] },
): TrainingInput {
  const years = flags.years;
  const validationYear = flags.valYear ?? years[years.length - 1];
  if (!years.includes(validationYear)) {
    throw new InvalidArgumentError(`--val-year ${validationYear} is not among --years ${years.join(',')}`);
  }
  let selection;
  try {
    selection = selectFeatures({
      features: flags.features,
      columns: flags.columns,
      without: flags.without,
      with: flags.with,
    });
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  const engine = flags.engine ?? defaults.engine;
  const quality = qualitySettings(flags.features, engine, flags);
  return {
    modelName: flags.modelName,
    dataUri: flags.dataUri ?? defaults.dataUri,
    filePrefix: flags.filePrefix,
    years,
    validationYear,
    schema: { featureColumns: selection.columns, dateTimeColumn: flags.dateTime, targetColumn: flags.target },
    trials: flags.trials,
    top: flags.top,
    parallelism: flags.parallelism,
    ...(flags.trialsPerActivity === undefined ? {} : { trialsPerActivity: flags.trialsPerActivity }),
    seed: flags.seed,
    engine,
    earlyStoppingRounds: flags.earlyStopping,
    params: flags.params,
    strategy: { sampler: flags.sampler, pruning: flags.pruning, reproducible: flags.reproducible },
    runFineTuning: flags.fineTuning,
    registerModels: flags.register,
    infraRetryWindowMs: flags.infraRetryWindow,
    maxFailedShare: flags.maxFailedShare,
    trigger: defaults.trigger,
    features: flags.features,
    ...(selection.omitFeatures.length > 0 ? { omitFeatures: selection.omitFeatures } : {}),
    ...quality,
    refit: flags.refit,
    ensemble: flags.ensemble,
    ...(flags.shapRows === undefined ? {} : { shapSampleRows: flags.shapRows }),
    maxBadRowShare:
      flags.maxBadRows ??
      (process.env.MAX_BAD_ROWS ? namedShare(process.env.MAX_BAD_ROWS, 'MAX_BAD_ROWS') : undefined),
    evidence: {
      minComparisonDays: flags.minComparisonDays ?? DEFAULT_EVIDENCE.minComparisonDays,
      promotionConfidence: flags.promotionConfidence ?? DEFAULT_EVIDENCE.promotionConfidence,
    },
    ...mlflowOption(flags.mlflowTrackingUri),
  };
}

/** `{ mlflowTrackingUri }` when mirroring is on (flag or MLFLOW_TRACKING_URI), else nothing: inputs stay as they were. */
function mlflowOption(flag: string | undefined): { mlflowTrackingUri?: string } {
  try {
    const uri = trackingUriFrom(flag);
    return uri === undefined ? {} : { mlflowTrackingUri: uri };
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
