import { isKnownHolidayValue } from '../../src/data/us-holidays';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { dedupeRows } from '../../src/data/dedupe';
import { parseLocalDateTime } from '../../src/data/local-date-time';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import {
  FEATURE_PIPELINE_VERSION,
  fitFeaturePipeline,
  holidayFlag,
  targetVector,
  transformRows,
  validateFeaturePipeline,
} from '../../src/features/features';
import { splitByYear } from '../../src/data/split';
import type { TrafficRow } from '../../src/contracts/domain';
import { REAL_DIR, SAMPLE_DIR } from '../support/data-dirs';

/** The columns the seed's export block asserts after its feature pipeline (its test also lists `uuid`, which training drops). */
const SEED_2016_FEATURES = [
  'holiday',
  'temp',
  'rain_1h',
  'snow_1h',
  'clouds_all',
  'hour',
  'month',
  'day_of_week',
  ...['Clear', 'Clouds', 'Drizzle', 'Fog_Smoke_Squall', 'Haze', 'Mist', 'Rain', 'Snow', 'Thunderstorm'].map(
    (v) => `weather_main=${v}`,
  ),
];

function row(
  dateTime: string,
  holiday: string,
  weatherMain: string,
  extra: Partial<TrafficRow> = {},
): TrafficRow {
  return {
    holiday,
    temp: 280.5,
    rain_1h: 0.25,
    snow_1h: 0,
    clouds_all: 40,
    weather_main: weatherMain,
    date_time: parseLocalDateTime(dateTime),
    traffic_volume: 1000,
    ...extra,
  };
}

function column(
  pipeline: ReturnType<typeof fitFeaturePipeline>,
  matrix: { data: Float32Array; cols: number; rows: number },
  name: string,
): number[] {
  const c = pipeline.featureNames.indexOf(name);
  expect(c, name).to.be.at.least(0);
  return Array.from({ length: matrix.rows }, (_, r) => matrix.data[r * matrix.cols + c]);
}

describe('feature pipeline', () => {
  it('reproduces the seed FeatureEngineeringTransformer test (holiday, merge, hour, month, day_of_week)', () => {
    const rows = [
      row('2021-12-01 00:00:00', 'None', 'Clear'),
      // The seed's test writes 'Christmas'; the data (and so the known names) write 'Christmas Day'.
      row('2021-12-25 12:00:00', 'Christmas Day', 'Clouds'),
      row('2021-12-31 23:59:00', 'None', 'Fog'),
    ];
    const p = fitFeaturePipeline({ rows });
    const m = transformRows(p, rows);
    expect(column(p, m, 'holiday')).to.deep.equal([0, 1, 0]);
    expect(column(p, m, 'hour')).to.deep.equal([0, 12, 23]);
    expect(column(p, m, 'month')).to.deep.equal([12, 12, 12]);
    expect(column(p, m, 'day_of_week')).to.deep.equal([2, 5, 4]);
    expect(p.vocabulary).to.deep.equal(['Clear', 'Clouds', 'Fog_Smoke_Squall']);
    expect(column(p, m, 'weather_main=Fog_Smoke_Squall')).to.deep.equal([0, 0, 1]);
  });

  it('orders columns like the seed: scalar columns, date parts, then sorted one-hot names', () => {
    const rows = ['Rain', 'Clear', 'Clouds'].map((w) => row('2012-10-02 09:00:00', 'None', w));
    const p = fitFeaturePipeline({ rows });
    expect(p.featureNames).to.deep.equal([
      'holiday',
      'temp',
      'rain_1h',
      'snow_1h',
      'clouds_all',
      'hour',
      'month',
      'day_of_week',
      'weather_main=Clear',
      'weather_main=Clouds',
      'weather_main=Rain',
    ]);
    const m = transformRows(p, rows);
    expect(m.cols).to.equal(11);
    expect(Array.from(m.data.subarray(0, 11))).to.deep.equal([
      0,
      Math.fround(280.5),
      0.25,
      0,
      40,
      9,
      10,
      1,
      0,
      0,
      1,
    ]);
  });

  it('gives the seed expected feature columns for the 2016 validation data', () => {
    const realPresent = existsSync(path.join(REAL_DIR, 'Metro_Interstate_Traffic_Volume_2016.csv'));
    const dir = realPresent ? REAL_DIR : SAMPLE_DIR;
    const rows = dedupeRows(
      [2012, 2013, 2014, 2015, 2016].flatMap(
        (y) =>
          parseTrafficCsv({
            text: readFileSync(path.join(dir, `Metro_Interstate_Traffic_Volume_${y}.csv`), 'utf8'),
            file: `${y}`,
          }).rows,
      ),
    );
    const { train, validation } = splitByYear({ rows, validationYear: 2016 });
    const p = fitFeaturePipeline({ rows: train });
    expect(p.featureNames).to.deep.equal(SEED_2016_FEATURES);
    const x = transformRows(p, validation);
    expect([x.rows, x.cols]).to.deep.equal([validation.length, 17]);
    expect(x.data.length).to.equal(validation.length * 17);
    // Exactly one one-hot column is set per row (every 2016 category was seen in training).
    for (let r = 0; r < x.rows; r++) {
      let hot = 0;
      for (let c = 8; c < 17; c++) hot += x.data[r * 17 + c];
      expect(hot).to.equal(1);
    }
    const y = targetVector(validation);
    expect(y.length).to.equal(validation.length);
    expect(y[0]).to.equal(validation[0].traffic_volume);
    if (realPresent) expect([train.length, validation.length]).to.deep.equal([20126, 9300]); // as pandas in scripts/parity.py
  });

  it('encodes an unseen category as all zeros, and a merged one through its merge target', () => {
    const p = fitFeaturePipeline({
      rows: [row('2016-01-01 00:00:00', 'None', 'Clear'), row('2016-01-01 01:00:00', 'None', 'Fog')],
    });
    const m = transformRows(p, [
      row('2016-06-01 00:00:00', 'None', 'Tornado'),
      row('2016-06-01 01:00:00', 'None', 'Smoke'),
    ]);
    expect(Array.from(m.data.subarray(8, 10))).to.deep.equal([0, 0]);
    expect(Array.from(m.data.subarray(m.cols + 8, m.cols + 10))).to.deep.equal([0, 1]);
  });

  it('maps holiday names to 1 and "None" (or nothing) to 0', () => {
    expect(['None', '', 'Thanksgiving Day', 'State Fair'].map(holidayFlag)).to.deep.equal([0, 0, 1, 1]);
  });

  it('matches holiday names case-insensitively; an unknown name is not a holiday (issue 16)', () => {
    expect(['NONE', 'none', 'thanksgiving day', ' STATE FAIR '].map(holidayFlag)).to.deep.equal([0, 0, 1, 1]);
    expect(['Christmas', 'Festivus', 'yes'].map(holidayFlag)).to.deep.equal([0, 0, 0]);
    expect(['None', 'christmas DAY', 'Festivus'].map(isKnownHolidayValue)).to.deep.equal([true, true, false]);
  });

  it('follows the schema feature columns', () => {
    const rows = [row('2016-01-01 00:00:00', 'None', 'Clear')];
    const p = fitFeaturePipeline({
      rows,
      schema: {
        featureColumns: ['temp', 'clouds_all'],
        dateTimeColumn: 'date_time',
        targetColumn: 'traffic_volume',
      },
    });
    expect(p.featureNames).to.deep.equal(['temp', 'clouds_all', 'hour', 'month', 'day_of_week']);
    expect(Array.from(transformRows(p, rows).data)).to.deep.equal([Math.fround(280.5), 40, 0, 1, 4]);
  });

  it('refuses a target vector for rows without traffic_volume', () => {
    const r = row('2016-01-01 00:00:00', 'None', 'Clear');
    delete r.traffic_volume;
    expect(() => targetVector([r])).to.throw(/has no traffic_volume/);
  });

  it('survives a JSON round trip through validateFeaturePipeline', () => {
    const rows = ['Clear', 'Snow', 'Squall'].map((w, i) => row(`2016-01-0${i + 1} 05:00:00`, 'None', w));
    const p = fitFeaturePipeline({ rows });
    const loaded = validateFeaturePipeline(JSON.parse(JSON.stringify(p)));
    expect(loaded).to.deep.equal(p);
    expect(transformRows(loaded, rows)).to.deep.equal(transformRows(p, rows));
    expect(p.version).to.equal(FEATURE_PIPELINE_VERSION);
  });

  it('rejects a stored pipeline that is inconsistent, of another kind or of another version', () => {
    const p = fitFeaturePipeline({
      rows: [row('2016-01-01 00:00:00', 'None', 'Clear'), row('2016-01-01 01:00:00', 'None', 'Rain')],
    });
    const broken = (change: Record<string, unknown>) => () =>
      validateFeaturePipeline({ ...JSON.parse(JSON.stringify(p)), ...change });
    expect(broken({ featureNames: p.featureNames.slice(1) })).to.throw(/do not match/);
    expect(broken({ vocabulary: ['Rain', 'Clear'] })).to.throw(/sorted/);
    expect(broken({ kind: 'other' })).to.throw(/invalid feature pipeline/);
    expect(broken({ version: FEATURE_PIPELINE_VERSION + 1 })).to.throw(/version/);
    expect(broken({ scalarColumns: ['humidity'] })).to.throw(/invalid feature pipeline/);
    expect(() => validateFeaturePipeline(null)).to.throw(/invalid feature pipeline/);
  });
});
