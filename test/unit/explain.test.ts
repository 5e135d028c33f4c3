import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import type { TrainedModel } from '../../src/engines/engine';
import { loadNativeEngine } from '../../src/engines/native-engine';
import {
  columnGroups,
  explainRows,
  inputsOfGroup,
  meanAbsoluteContributions,
  toRowExplanations,
} from '../../src/engines/explain';
import { DEFAULT_SCHEMA } from '../../src/data/dataset-schema';
import { fitFeaturePipelineV2 } from '../../src/features/features-v2';
import {
  fitFeaturePipeline,
  targetVector,
  transformRows,
  type FeaturePipeline,
} from '../../src/features/features';
import type { TrafficRow } from '../../src/contracts/domain';
import { SAMPLE_DIR } from '../support/data-dirs';

function sampleRows(year: number): TrafficRow[] {
  const file = `Metro_Interstate_Traffic_Volume_${year}.csv`;
  return parseTrafficCsv({ text: readFileSync(path.join(SAMPLE_DIR, file), 'utf8'), file }).rows;
}

describe('explanations mapped to input columns', function () {
  let pipeline: FeaturePipeline;
  let model: TrainedModel;
  let validation: TrafficRow[];

  before(function () {
    const train = [...sampleRows(2014), ...sampleRows(2015)];
    validation = sampleRows(2016).slice(0, 300);
    pipeline = fitFeaturePipeline({ rows: train });
    model = loadNativeEngine().train({
      train: transformRows(pipeline, train),
      trainLabels: targetVector(train),
      params: {
        n_estimators: 80,
        max_depth: 5,
        learning_rate: 0.2,
        gamma: 0,
        reg_alpha: 0,
        reg_lambda: 1,
        subsample: 1,
        colsample_bytree: 1,
        seed: 1,
      },
      nthread: 1,
    });
  });

  after(function () {
    model.free();
  });

  it('sums the one-hot weather columns into weather_main and keeps calendar features by name', function () {
    const { columns, columnOfFeature } = columnGroups(pipeline);
    expect(pipeline.featureNames.filter((f) => f.startsWith('weather_main=')).length).to.be.greaterThan(1);
    expect(columns).to.deep.equal([
      'holiday',
      'temp',
      'rain_1h',
      'snow_1h',
      'clouds_all',
      'hour',
      'month',
      'day_of_week',
      'weather_main',
    ]);
    pipeline.featureNames.forEach((feature, f) => {
      expect(columns[columnOfFeature[f]]).to.equal(feature.split('=')[0]);
    });
  });

  it("groups a v2 pipeline's features through its own record of their raw inputs (featureInputs)", function () {
    const v2 = fitFeaturePipelineV2({
      rows: [...sampleRows(2014), ...sampleRows(2015)],
      schema: DEFAULT_SCHEMA,
    });
    const { columns, columnOfFeature } = columnGroups(v2);
    const groupOf = (feature: string) => columns[columnOfFeature[v2.featureNames.indexOf(feature)]];
    for (const feature of ['holiday_day', 'holiday_adjacent', 'working_day', 'hour_by_working_day']) {
      expect(v2.featureInputs[feature]).to.deep.equal(['holiday', 'date_time']);
      expect(groupOf(feature), feature).to.equal('holiday + date_time');
      expect(columns).to.not.include(feature);
    }
    expect(groupOf('hour')).to.equal('hour');
    expect(groupOf('temp')).to.equal('temp');
    const weather = v2.featureNames.filter((f) => f.startsWith('weather_main='));
    expect(weather.length).to.be.greaterThan(1);
    for (const feature of weather) expect(groupOf(feature)).to.equal('weather_main');
    // Every group is named by raw columns the feature reads, or is a part of the timestamp it alone reads.
    v2.featureNames.forEach((feature, f) => {
      const inputs = v2.featureInputs[feature];
      const group = inputsOfGroup(columns[columnOfFeature[f]]);
      if (inputs.length === 1 && inputs[0] === 'date_time' && group[0] === feature) return;
      expect(group, feature).to.deep.equal(inputs);
    });
  });

  it('per row, bias plus the column contributions equals the prediction', function () {
    const explanation = explainRows([model], pipeline, validation);
    expect(explanation.rows).to.equal(validation.length);
    const k = explanation.columns.length;
    for (let r = 0; r < explanation.rows; r++) {
      let sum = explanation.bias;
      for (let c = 0; c < k; c++) sum += explanation.contributions[r * k + c];
      expect(sum).to.be.closeTo(explanation.predictions[r], 1e-3 * Math.max(1, explanation.predictions[r]));
    }
    // Hour of day drives traffic in the sample as in the real data.
    expect(meanAbsoluteContributions(explanation)[0].column).to.equal('hour');
  });

  it('explains an ensemble as the mean of its members: contributions plus bias sum to the mean prediction', function () {
    const train = [...sampleRows(2014), ...sampleRows(2015)];
    const other = loadNativeEngine().train({
      train: transformRows(pipeline, train),
      trainLabels: targetVector(train),
      params: {
        n_estimators: 40,
        max_depth: 3,
        learning_rate: 0.3,
        gamma: 0,
        reg_alpha: 0,
        reg_lambda: 1,
        subsample: 1,
        colsample_bytree: 1,
        seed: 2,
      },
      nthread: 1,
    });
    try {
      const rows = validation.slice(0, 50);
      const one = explainRows([model], pipeline, rows);
      const two = explainRows([other], pipeline, rows);
      const both = explainRows([model, other], pipeline, rows);
      const k = both.columns.length;
      for (let r = 0; r < rows.length; r++) {
        const mean = (one.predictions[r] + two.predictions[r]) / 2;
        expect(both.predictions[r]).to.be.closeTo(mean, 1e-2);
        let sum = both.bias;
        for (let c = 0; c < k; c++) sum += both.contributions[r * k + c];
        expect(sum).to.be.closeTo(mean, 1e-3 * Math.max(1, mean));
        expect(both.contributions[r * k]).to.be.closeTo(
          (one.contributions[r * k] + two.contributions[r * k]) / 2,
          1e-2,
        );
      }
    } finally {
      other.free();
    }
  });

  it('lists the top contributions of each row, largest first', function () {
    const [first] = toRowExplanations(explainRows([model], pipeline, validation.slice(0, 1)), 3);
    expect(first.contributions).to.have.length(3);
    const sizes = first.contributions.map((c) => Math.abs(c.value));
    expect(sizes).to.deep.equal([...sizes].sort((a, b) => b - a));
    expect(first.prediction).to.be.a('number');
  });
});
