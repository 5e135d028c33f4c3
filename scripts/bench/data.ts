/**
 * Finding the data set and preparing it in-process with the ML core (the same steps as the prepareDataset
 * activity, without the artifact store): read, parse + validate, de-duplicate, split by year, fit, transform.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_SCHEMA } from '../../src/data/dataset-schema';
import { dedupeRows } from '../../src/data/dedupe';
import { DEFAULT_FEATURE_SET } from '../../src/features/feature-pipeline';
import { prepareRows } from '../../src/features/prepare-rows';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import { fitFeaturePipeline, targetVector, transformRows } from '../../src/features/features';
import { splitByYear } from '../../src/data/split';
import { shareTrialData, type SharedTrialData } from '../../src/engines/trial-pool';
import type { TrafficRow } from '../../src/contracts/domain';

export const FILE_PREFIX = 'Metro_Interstate_Traffic_Volume';
/** The seed's split: train on the years before 2016, validate on 2016. */
export const PREFERRED_VALIDATION_YEAR = 2016;

export interface DataSource {
  dir: string;
  /** real: the UCI data set; sample: the committed synthetic sample; custom: $DATA_DIR. */
  kind: 'real' | 'sample' | 'custom';
  files: { year: number; file: string; bytes: number }[];
}

function yearFiles(dir: string): DataSource['files'] {
  if (!fs.existsSync(dir)) return [];
  const pattern = new RegExp(`^${FILE_PREFIX}_(\\d{4})\\.csv$`);
  return fs
    .readdirSync(dir)
    .map((name) => ({ name, match: pattern.exec(name) }))
    .filter((f) => f.match !== null)
    .map((f) => {
      const file = path.join(dir, f.name);
      return { year: Number(f.match?.[1]), file, bytes: fs.statSync(file).size };
    })
    .sort((a, b) => a.year - b.year);
}

/** $DATA_DIR when set, else the real data next to the project, else the synthetic sample. */
export function locateData(projectRoot: string, env: NodeJS.ProcessEnv = process.env): DataSource {
  if (env.DATA_DIR) {
    const dir = path.resolve(env.DATA_DIR);
    const files = yearFiles(dir);
    if (files.length < 2)
      throw new Error(`DATA_DIR ${dir} holds fewer than two ${FILE_PREFIX}_{year}.csv files`);
    return { dir, kind: 'custom', files };
  }
  const real = path.resolve(projectRoot, '../shared/data/metro-traffic/by-year');
  const realFiles = yearFiles(real);
  if (realFiles.length >= 2) return { dir: real, kind: 'real', files: realFiles };
  const sample = path.resolve(projectRoot, 'data/sample');
  return { dir: sample, kind: 'sample', files: yearFiles(sample) };
}

export interface PrepPhases {
  read: number;
  parse: number;
  dedupe: number;
  split: number;
  fit: number;
  transform: number;
}

export interface Prepared {
  /** Rows parsed from all files (before de-duplication). */
  rows: number;
  uniqueRows: number;
  badRows: number;
  validationYear: number;
  trainYears: number[];
  trainRows: number;
  validationRows: number;
  featureNames: string[];
  data: SharedTrialData;
  phases: PrepPhases;
  totalMs: number;
}

/** 2016 when the files hold it (and an earlier year), else the last year with rows in December. */
export function chooseValidationYear(rows: readonly TrafficRow[]): number {
  const years = new Set<number>();
  const december = new Set<number>();
  for (const row of rows) {
    years.add(row.date_time.year);
    if (row.date_time.month === 12) december.add(row.date_time.year);
  }
  const earliest = Math.min(...years);
  if (years.has(PREFERRED_VALIDATION_YEAR) && earliest < PREFERRED_VALIDATION_YEAR)
    return PREFERRED_VALIDATION_YEAR;
  const full = [...december].filter((y) => y > earliest).sort((a, b) => a - b);
  if (full.length === 0) throw new Error('no complete year after the first one to validate on');
  return full[full.length - 1];
}

/** The prepare pipeline, timed per phase. `validationYear` undefined: chooseValidationYear. */
export function prepare(files: readonly { file: string }[], validationYear?: number): Prepared {
  const t0 = performance.now();
  const texts = files.map((f) => ({ file: f.file, text: fs.readFileSync(f.file, 'utf8') }));
  const t1 = performance.now();
  const rows: TrafficRow[] = [];
  let badRows = 0;
  for (const { file, text } of texts) {
    const parsed = parseTrafficCsv({ text, file: path.basename(file) });
    for (const row of parsed.rows) rows.push(row);
    badRows += parsed.badRowCount;
  }
  const t2 = performance.now();
  const unique = dedupeRows(rows);
  const t3 = performance.now();
  const year = validationYear ?? chooseValidationYear(unique);
  const { train, validation } = splitByYear({ rows: unique, validationYear: year });
  const t4 = performance.now();
  const pipeline = fitFeaturePipeline({ rows: train });
  const t5 = performance.now();
  const trainX = transformRows(pipeline, train);
  const trainY = targetVector(train);
  const validationX = transformRows(pipeline, validation);
  const validationY = targetVector(validation);
  const t6 = performance.now();
  if (train.length === 0 || validation.length === 0)
    throw new Error(`empty split: ${train.length} train rows, ${validation.length} validation rows`);
  return {
    rows: rows.length,
    uniqueRows: unique.length,
    badRows,
    validationYear: year,
    trainYears: [...new Set(train.map((r) => r.date_time.year))].sort((a, b) => a - b),
    trainRows: train.length,
    validationRows: validation.length,
    featureNames: pipeline.featureNames,
    // Copied once into SharedArrayBuffers (outside the timed phases), as the workers' dataset cache does.
    data: shareTrialData({
      train: trainX,
      trainLabels: trainY,
      validation: validationX,
      validationLabels: validationY,
    }),
    phases: {
      read: t1 - t0,
      parse: t2 - t1,
      dedupe: t3 - t2,
      split: t4 - t3,
      fit: t5 - t4,
      transform: t6 - t5,
    },
    totalMs: t6 - t0,
  };
}

/**
 * The data exactly as the pipeline's prepareDataset activity prepares it with its defaults (feature set
 * v2, early stopping on the latest 15 % of the training years, the default schema), in-process and through
 * the activity's own code (`prepareRows`): what the orchestration-overhead loop trains on, so that it runs
 * the very trials the Temporal path runs.
 */
export function preparePipelineData(
  files: readonly { file: string }[],
  validationYear: number,
): { data: SharedTrialData; ms: number } {
  const t0 = performance.now();
  const rows: TrafficRow[] = [];
  for (const { file } of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const row of parseTrafficCsv({ text, file: path.basename(file), schema: DEFAULT_SCHEMA }).rows)
      rows.push(row);
  }
  const { train, validation, earlyStopping } = prepareRows({
    rows,
    validationYear,
    schema: DEFAULT_SCHEMA,
    features: DEFAULT_FEATURE_SET,
  });
  const data = shareTrialData({
    train: train.x,
    trainLabels: train.y,
    validation: validation.x,
    validationLabels: validation.y,
    ...(earlyStopping ? { earlyStopping: earlyStopping.x, earlyStoppingLabels: earlyStopping.y } : {}),
  });
  return { data, ms: performance.now() - t0 };
}
