import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_BAD_ROW_SHARE, parseBadRowShare } from '../ml/bad-row-limit';
import { validateParams } from '../ml/params';
import type { EngineChoice, XGBoostParams } from '../ml/types';
import type { TrainingInput } from '../workflows/types';

export const DEFAULT_MODEL_NAME = 'traffic-volume-predictor';
export const DEFAULT_FILE_PREFIX = 'Metro_Interstate_Traffic_Volume';
export const DEFAULT_COLUMNS = ['holiday', 'temp', 'rain_1h', 'snow_1h', 'clouds_all', 'weather_main'];

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
  seed: number;
  engine: EngineChoice;
  earlyStopping: number;
  params?: XGBoostParams;
  fineTuning: boolean;
  register: boolean;
  maxBadRows?: number;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`"${value}" is not a non-negative integer`);
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

function parseBool(value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new InvalidArgumentError(`"${value}" is not true or false`);
}

function badRowShare(value: string, source: string): number {
  try {
    return parseBadRowShare(value, source);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
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
      'where the {prefix}_{year}.csv files live (seed: BUCKET_NAME); default $DATA_URI',
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
    .option('--trials <n>', 'trials in the hyperparameter search (seed: MAX_EVALS)', positiveInt, 100)
    .option('--top <n>', 'best models to register (seed: N_BEST_MODELS)', positiveInt, 2)
    .option('--parallelism <n>', 'trials pending at once (sliding window)', positiveInt, 16)
    .option('--seed <n>', 'seed of the parameter sampler', nonNegativeInt, 42)
    .addOption(
      new Option('--engine <engine>', 'XGBoost engine for trials')
        .choices(['auto', 'native', 'wasm'])
        .default(process.env.XGBOOST_ENGINE ?? 'auto'),
    )
    .option(
      '--early-stopping <rounds>',
      'early-stopping rounds on the validation set (native engine; 0 = off)',
      nonNegativeInt,
      30,
    )
    .option('--params <json>', 'skip the search: train once with these XGBoost parameters', parseParamsJson)
    .option('--fine-tuning <bool>', 'run the search (seed: IS_RUN_FINE_TUNING)', parseBool, true)
    .option('--register <bool>', 'register the best models (seed: IS_REGISTER_MODELS)', parseBool, true)
    .option(
      '--max-bad-rows <share>',
      `largest share of malformed rows per file, e.g. 0.01 or 1% (default: $MAX_BAD_ROWS or ${DEFAULT_MAX_BAD_ROW_SHARE * 100}%)`,
      (value: string) => badRowShare(value, '--max-bad-rows'),
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
  defaults: { dataUri: string; trigger: TrainingInput['trigger'] },
): TrainingInput {
  const years = flags.years;
  const validationYear = flags.valYear ?? years[years.length - 1];
  if (!years.includes(validationYear)) {
    throw new InvalidArgumentError(`--val-year ${validationYear} is not among --years ${years.join(',')}`);
  }
  return {
    modelName: flags.modelName,
    dataUri: flags.dataUri ?? defaults.dataUri,
    filePrefix: flags.filePrefix,
    years,
    validationYear,
    schema: { featureColumns: flags.columns, dateTimeColumn: flags.dateTime, targetColumn: flags.target },
    trials: flags.trials,
    top: flags.top,
    parallelism: flags.parallelism,
    seed: flags.seed,
    engine: flags.engine,
    earlyStoppingRounds: flags.earlyStopping,
    params: flags.params,
    runFineTuning: flags.fineTuning,
    registerModels: flags.register,
    trigger: defaults.trigger,
    maxBadRowShare:
      flags.maxBadRows ??
      (process.env.MAX_BAD_ROWS ? badRowShare(process.env.MAX_BAD_ROWS, 'MAX_BAD_ROWS') : undefined),
  };
}
