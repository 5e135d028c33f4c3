import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import { REAL_DIR, SAMPLE_DIR } from '../support/data-dirs';
import { SEED_EXAMPLE_ROWS, readPredictionRows } from '../../src/data/prediction-input';
import { DEFAULT_SCHEMA } from '../../src/data/dataset-schema';
import {
  fitPipeline,
  transformWithPipeline,
  validateAnyFeaturePipeline,
} from '../../src/features/feature-pipeline';
import { fitFeaturePipelineV2, transformRowsV2 } from '../../src/features/features-v2';
import { parseLocalDateTime } from '../../src/data/local-date-time';
import { parsePredictionRows } from '../../src/data/prediction-rows';
import type { TrafficRow } from '../../src/contracts/domain';
import { federalHolidays } from '../../src/data/us-holidays';
import { daysFromCivil } from '../../src/data/local-date-time';
import { datasetHash } from '../../src/activities/prepare';

function row(dateTime: string, overrides: Partial<TrafficRow> = {}): TrafficRow {
  return {
    holiday: 'None',
    temp: 290,
    rain_1h: 0,
    snow_1h: 0,
    clouds_all: 40,
    weather_main: 'Clouds',
    weather_description: 'scattered clouds',
    date_time: parseLocalDateTime(dateTime),
    traffic_volume: 1000,
    ...overrides,
  };
}

function column(
  pipeline: ReturnType<typeof fitFeaturePipelineV2>,
  rows: TrafficRow[],
  name: string,
): number[] {
  const { matrix } = transformRowsV2(pipeline, rows);
  const c = pipeline.featureNames.indexOf(name);
  expect(c, name).to.be.greaterThanOrEqual(0);
  return Array.from({ length: matrix.rows }, (_, r) => matrix.data[r * matrix.cols + c]);
}

const WITH_DESCRIPTION = {
  ...DEFAULT_SCHEMA,
  featureColumns: [...DEFAULT_SCHEMA.featureColumns, 'weather_description'],
};

describe('feature pipeline v2', () => {
  const training = [
    row('2015-08-27 00:00:00', { holiday: 'State Fair' }),
    row('2015-08-27 08:00:00'),
    row('2015-08-28 08:00:00'),
    row('2015-09-08 08:00:00', { weather_main: 'Rain', weather_description: 'light rain' }),
  ];
  const pipeline = fitFeaturePipelineV2({ rows: training, schema: WITH_DESCRIPTION });

  it('spreads a holiday marked on the 00:00 row over every hour of its day, and marks the days next to it', () => {
    expect(column(pipeline, training, 'holiday_day')).to.deep.equal([1, 1, 0, 0]);
    // 2015-08-28 follows the State Fair day, 2015-09-08 follows Labor Day (federal calendar).
    expect(column(pipeline, training, 'holiday_adjacent')).to.deep.equal([0, 0, 1, 1]);
    expect(column(pipeline, training, 'working_day')).to.deep.equal([0, 0, 1, 1]);
  });

  it('knows observed federal holidays from the calendar, even for rows not marked (prediction input)', () => {
    const rows = [row('2024-11-28 17:00:00'), row('2015-07-03 08:00:00'), row('2015-07-06 08:00:00')];
    expect(column(pipeline, rows, 'holiday_day')).to.deep.equal([1, 1, 0]); // Thanksgiving; July 4th observed on Friday
    expect(federalHolidays(2016).has(daysFromCivil(2016, 5, 30))).to.equal(true); // Memorial Day
    expect(federalHolidays(2016).has(daysFromCivil(2016, 1, 18))).to.equal(true); // MLK Day
  });

  it('has day of year and hour × working day', () => {
    const rows = [row('2016-12-31 23:00:00'), row('2015-02-01 07:00:00'), row('2015-02-02 07:00:00')];
    expect(column(pipeline, rows, 'day_of_year')).to.deep.equal([366, 32, 33]);
    expect(column(pipeline, rows, 'hour_by_working_day')).to.deep.equal([47, 31, 7]); // Saturday, Sunday, Monday
  });

  it('turns impossible readings into missing values and counts them', () => {
    const rows = [
      row('2015-01-01 00:00:00', { temp: 0 }),
      row('2015-01-01 01:00:00', { rain_1h: 9831.3 }),
      row('2015-01-01 02:00:00'),
    ];
    const { matrix, cleaned } = transformRowsV2(pipeline, rows);
    expect(cleaned).to.deep.equal({ temp: 1, rain_1h: 1 });
    const temp = pipeline.featureNames.indexOf('temp');
    const rain = pipeline.featureNames.indexOf('rain_1h');
    expect(Number.isNaN(matrix.data[temp])).to.equal(true);
    expect(Number.isNaN(matrix.data[matrix.cols + rain])).to.equal(true);
    expect(matrix.data[2 * matrix.cols + temp]).to.equal(290);
  });

  it('takes weather_description as an optional one-hot column; rows without it encode as all zeros', () => {
    expect(pipeline.featureNames).to.include.members([
      'weather_description=light rain',
      'weather_description=scattered clouds',
    ]);
    const without = parsePredictionRows([{ ...SEED_EXAMPLE_ROWS[0] }]);
    const { matrix } = transformRowsV2(pipeline, without);
    for (const name of pipeline.featureNames.filter((n) => n.startsWith('weather_description='))) {
      expect(matrix.data[pipeline.featureNames.indexOf(name)]).to.equal(0);
    }
    expect(matrix.data[pipeline.featureNames.indexOf('weather_main=Clouds')]).to.equal(1);
    const withIt = parsePredictionRows([{ ...SEED_EXAMPLE_ROWS[0], weather_description: 'light rain' }]);
    expect(
      transformRowsV2(pipeline, withIt).matrix.data[
        pipeline.featureNames.indexOf('weather_description=light rain')
      ],
    ).to.equal(1);
  });

  it('records the raw input columns of every feature', () => {
    expect(Object.keys(pipeline.featureInputs)).to.deep.equal(pipeline.featureNames);
    expect(pipeline.featureInputs.temp).to.deep.equal(['temp']);
    expect(pipeline.featureInputs.hour).to.deep.equal(['date_time']);
    expect(pipeline.featureInputs.holiday_day).to.deep.equal(['holiday', 'date_time']);
    expect(pipeline.featureInputs['weather_description=light rain']).to.deep.equal(['weather_description']);
  });

  it('survives storage: a stored v2 pipeline validates and transforms identically; a tampered one is refused', () => {
    const stored = validateAnyFeaturePipeline(JSON.parse(JSON.stringify(pipeline)));
    expect(Array.from(transformWithPipeline(stored, training).matrix.data)).to.deep.equal(
      Array.from(transformRowsV2(pipeline, training).matrix.data),
    );
    const tampered = { ...pipeline, featureNames: pipeline.featureNames.slice(1) };
    expect(() => validateAnyFeaturePipeline(JSON.parse(JSON.stringify(tampered)))).to.throw(/do not match/);
  });
});

describe('v1 and v2 pipelines from the same raw rows', () => {
  const training = [
    row('2015-09-07 00:00:00', { holiday: 'Labor Day' }),
    row('2015-09-08 09:00:00'),
    row('2015-09-09 09:00:00', { weather_main: 'Rain' }),
  ];
  const csv = [
    'date_time,holiday,temp,rain_1h,snow_1h,clouds_all,weather_main,weather_description,traffic_volume,station',
    '2024-10-02 09:00:00,None,288.28,0,0,40,Clouds,scattered clouds,5000,I-94',
    '2024-11-28 00:00:00,Thanksgiving Day,268.24,0,0,64,Clouds,broken clouds,600,I-94',
  ].join('\n');

  for (const features of ['v1', 'v2'] as const) {
    it(`${features}: the seed's two example rows and a CSV with extra columns give the same matrix`, () => {
      const stored = validateAnyFeaturePipeline(
        JSON.parse(JSON.stringify(fitPipeline({ features, rows: training, schema: WITH_DESCRIPTION }))),
      );
      expect(stored.version).to.equal(features === 'v1' ? 1 : 2);
      const fromJson = transformWithPipeline(stored, parsePredictionRows(SEED_EXAMPLE_ROWS));
      const fromCsv = transformWithPipeline(stored, parsePredictionRows(readPredictionRows(csv, 'rows.csv')));
      expect(fromJson.matrix.rows).to.equal(2);
      expect(fromJson.matrix.cols).to.equal(stored.featureNames.length);
      const descriptionCols = stored.featureNames
        .map((n, i) => (n.startsWith('weather_description=') ? i : -1))
        .filter((i) => i >= 0);
      const withoutDescription = (data: Float32Array) =>
        Array.from(data).filter((_, i) => !descriptionCols.includes(i % stored.featureNames.length));
      expect(withoutDescription(fromCsv.matrix.data)).to.deep.equal(withoutDescription(fromJson.matrix.data));
    });
  }
});

describe('feature pipeline v2: a row alone gets the features it gets in a batch (issue 16)', () => {
  it('scores every 2016 row alone, in its day and in its year alike (real data when present, else the sample)', () => {
    const file = 'Metro_Interstate_Traffic_Volume_2016.csv';
    const dir = existsSync(path.join(REAL_DIR, file)) ? REAL_DIR : SAMPLE_DIR;
    const rows = parseTrafficCsv({ text: readFileSync(path.join(dir, file), 'utf8'), file }).rows;
    expect(rows.length).to.be.greaterThan(1000);
    const pipeline = fitFeaturePipelineV2({ rows, schema: WITH_DESCRIPTION });
    const cols = pipeline.featureNames.length;
    const features = (batch: TrafficRow[]) => Array.from(transformRowsV2(pipeline, batch).matrix.data);
    const year = features(rows);
    const days = new Map<string, number[]>();
    rows.forEach((r, i) => {
      const day = r.date_time.text.slice(0, 10);
      days.set(day, [...(days.get(day) ?? []), i]);
    });
    const differ: string[] = [];
    for (const indices of days.values()) {
      const inDay = features(indices.map((i) => rows[i]));
      indices.forEach((i, k) => {
        const alone = features([rows[i]]);
        const day = inDay.slice(k * cols, (k + 1) * cols);
        const all = year.slice(i * cols, (i + 1) * cols);
        const same = (a: number[], b: number[]) => a.every((v, c) => Object.is(v, b[c]));
        if (!same(alone, day) || !same(alone, all)) differ.push(rows[i].date_time.text);
      });
    }
    expect(differ.slice(0, 10), `${differ.length} rows differ`).to.deep.equal([]);

    // The cases a batch used to decide: hours of a named holiday after its 00:00 row, 31 December next to
    // New Year's Day.
    const at = (text: string) => features([row(text)]);
    const column = (name: string) => pipeline.featureNames.indexOf(name);
    expect(at('2016-08-25 15:00:00')[column('holiday_day')]).to.equal(1); // State Fair opening day
    expect(at('2015-12-31 12:00:00')[column('holiday_adjacent')]).to.equal(1); // next to 2016-01-01, a Friday
    expect(at('2016-01-01 15:00:00')[column('holiday_day')]).to.equal(1);
  });
});

describe('feature pipeline v2: the major-holiday calendar (--holidays major)', () => {
  const rows = [
    row('2015-10-12 08:00:00'), // Columbus Day (Monday)
    row('2015-11-11 00:00:00', { holiday: 'Veterans Day' }), // named by the row, Wednesday
    row('2015-11-11 08:00:00'),
    row('2015-08-27 08:00:00'), // State Fair opening (Thursday)
    row('2015-01-19 08:00:00'), // Martin Luther King Jr Day
    row('2015-11-26 08:00:00'), // Thanksgiving
    row('2015-11-27 08:00:00'), // the day after it
    row('2015-07-03 08:00:00'), // Independence Day observed (Friday)
    row('2015-12-25 00:00:00', { holiday: 'Christmas Day' }),
  ];
  const federal = fitFeaturePipelineV2({ rows });
  const major = fitFeaturePipelineV2({ rows, holidays: 'major' });

  it('treats only the six major holidays as days off; the others are working days', () => {
    expect(major.holidays).to.equal('major');
    expect(major.featureNames).to.deep.equal(federal.featureNames);
    expect(column(federal, rows, 'holiday_day')).to.deep.equal([1, 1, 1, 1, 1, 1, 0, 1, 1]);
    expect(column(major, rows, 'holiday_day')).to.deep.equal([0, 0, 0, 0, 0, 1, 0, 1, 1]);
    expect(column(major, rows, 'working_day')).to.deep.equal([1, 1, 1, 1, 1, 0, 1, 0, 0]);
    expect(column(major, rows, 'hour_by_working_day')).to.deep.equal([8, 0, 8, 8, 8, 32, 8, 32, 24]);
    expect(column(major, rows, 'holiday_adjacent')).to.deep.equal([0, 0, 0, 0, 0, 0, 1, 0, 0]);
  });

  it('a pipeline stored before the option (no `holidays`) keeps the federal calendar; the choice round-trips', () => {
    const { holidays: _none, ...old } = JSON.parse(JSON.stringify(federal)) as Record<string, unknown>;
    const loaded = validateAnyFeaturePipeline(old);
    expect(transformWithPipeline(loaded, rows).matrix.data).to.deep.equal(
      transformRowsV2(federal, rows).matrix.data,
    );
    const stored = validateAnyFeaturePipeline(JSON.parse(JSON.stringify(major)));
    expect(transformWithPipeline(stored, rows).matrix.data).to.deep.equal(
      transformRowsV2(major, rows).matrix.data,
    );
    expect(() => validateAnyFeaturePipeline({ ...old, holidays: 'state' })).to.throw(
      /invalid feature pipeline v2/,
    );
    expect(() => fitPipeline({ features: 'v1', rows, holidays: 'major' })).to.throw(
      /needs the v2 feature pipeline/,
    );
  });

  it('a prepared set with the major calendar has its own address; a federal one keeps the address it had', () => {
    const input = { validationYear: 2016, schema: DEFAULT_SCHEMA, features: 'v2' as const };
    const sources = [{ key: 'a.csv', etag: 'e', size: 1, sha256: 'f'.repeat(64) }];
    const before = datasetHash(input, sources);
    expect(datasetHash({ ...input, holidays: 'federal' }, sources)).to.equal(before);
    expect(datasetHash({ ...input, holidays: 'major' }, sources)).to.not.equal(before);
  });
});
