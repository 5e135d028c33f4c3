import { expect } from 'chai';
import { datasetHash } from '../../src/activities/prepare';
import { DEFAULT_SCHEMA } from '../../src/data/dataset-schema';
import {
  fitPipeline,
  transformWithPipeline,
  validateAnyFeaturePipeline,
} from '../../src/features/feature-pipeline';
import { selectFeatures } from '../../src/features/feature-selection';
import { DERIVED_FEATURES_V2, fitFeaturePipelineV2 } from '../../src/features/features-v2';
import { parseLocalDateTime } from '../../src/data/local-date-time';
import type { TrafficRow } from '../../src/contracts/domain';

const rows: TrafficRow[] = ['2015-11-25 17:00:00', '2015-11-26 17:00:00', '2015-11-28 03:00:00'].map(
  (t, i) => ({
    holiday: 'None',
    temp: 280 + i,
    rain_1h: 0,
    snow_1h: 0,
    clouds_all: 20,
    weather_main: i === 0 ? 'Rain' : 'Clear',
    weather_description: i === 0 ? 'light rain' : 'sky is clear',
    date_time: parseLocalDateTime(t),
    traffic_volume: 1000,
  }),
);

describe('feature ablation (--without, --with)', () => {
  it('leaves derived v2 features out of the pipeline and the matrix; every other column keeps its values', () => {
    const full = fitFeaturePipelineV2({ rows });
    const ablated = fitFeaturePipelineV2({ rows, omit: ['holiday_adjacent', 'day_of_year'] });
    expect(ablated.omitted).to.deep.equal(['holiday_adjacent', 'day_of_year']);
    expect(ablated.featureNames).to.deep.equal(
      full.featureNames.filter((n) => n !== 'holiday_adjacent' && n !== 'day_of_year'),
    );
    const a = transformWithPipeline(ablated, rows).matrix;
    const f = transformWithPipeline(full, rows).matrix;
    expect(a.cols).to.equal(f.cols - 2);
    for (const name of ablated.featureNames) {
      const ca = ablated.featureNames.indexOf(name);
      const cf = full.featureNames.indexOf(name);
      for (let r = 0; r < rows.length; r++)
        expect(a.data[r * a.cols + ca], name).to.equal(f.data[r * f.cols + cf]);
    }
    // Stored and read back (as every model's pipeline is), it still validates.
    expect(validateAnyFeaturePipeline(JSON.parse(JSON.stringify(ablated)))).to.deep.equal(ablated);
    expect(full.omitted).to.equal(undefined);
  });

  it('refuses unknown names, and v1 pipelines, with one line naming the problem', () => {
    expect(() => fitFeaturePipelineV2({ rows, omit: ['day_of_yaer'] })).to.throw(
      /unknown v2 feature "day_of_yaer" to leave out: expected one of hour, month/,
    );
    expect(() => fitPipeline({ features: 'v1', rows, omit: ['hour'] })).to.throw(
      /needs the v2 feature pipeline/,
    );
    const tampered = { ...fitFeaturePipelineV2({ rows, omit: ['hour'] }), omitted: [] };
    expect(() => validateAnyFeaturePipeline(tampered)).to.throw(/do not match its definition/);
  });

  it('selects columns and derived features from --without and --with', () => {
    const columns = DEFAULT_SCHEMA.featureColumns;
    expect(selectFeatures({ features: 'v2', columns, without: ['holiday_adjacent', 'temp'] })).to.deep.equal({
      columns: columns.filter((c) => c !== 'temp'),
      omitFeatures: ['holiday_adjacent'],
    });
    expect(selectFeatures({ features: 'v2', columns, with: ['weather_description'] }).columns).to.deep.equal([
      ...columns,
      'weather_description',
    ]);
    expect(() => selectFeatures({ features: 'v2', columns, without: ['holliday'] })).to.throw(
      /--without: unknown feature "holliday": expected one of holiday, temp/,
    );
    expect(() => selectFeatures({ features: 'v1', columns, without: ['day_of_year'] })).to.throw(
      /belongs to --features v2/,
    );
    expect(() => selectFeatures({ features: 'v2', columns, with: ['wind'] })).to.throw(
      /--with: unknown column "wind"/,
    );
    expect(() => selectFeatures({ features: 'v1', columns, with: ['weather_description'] })).to.throw(
      /needs --features v2/,
    );
    expect(DERIVED_FEATURES_V2).to.include.members(['holiday_day', 'holiday_adjacent', 'day_of_year']);
  });

  it('gives an ablated prepared set its own content address, and leaves the others’ unchanged', () => {
    const sources = [{ key: 'a.csv', etag: 'e', size: 1, sha256: 'ab' }];
    const base = { validationYear: 2015, schema: DEFAULT_SCHEMA, features: 'v2' as const };
    const plain = datasetHash(base, sources);
    expect(datasetHash({ ...base, omitFeatures: [] }, sources)).to.equal(plain);
    const ablated = datasetHash({ ...base, omitFeatures: ['day_of_year', 'hour'] }, sources);
    expect(ablated).to.not.equal(plain);
    expect(datasetHash({ ...base, omitFeatures: ['hour', 'day_of_year'] }, sources)).to.equal(ablated);
  });
});
