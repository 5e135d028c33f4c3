import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { readPredictionRows, SEED_EXAMPLE_ROWS } from '../../src/data/prediction-input';
import { parseYears, trainingInputFrom, type TrainingFlags } from '../../src/cli/training-options';
import { probeNativeLibrary } from '../../src/engines/native-library';
import { trainingSettingsLine } from '../../src/cli/format';

const CLIENT = path.resolve(__dirname, '../../src/client.js');

function client(args: string[], input?: string, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [CLIENT, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
}

/** The flags every training command has, as commander would give them. */
const BASE_FLAGS = {
  modelName: 'm',
  filePrefix: 'P',
  columns: ['temp'],
  dateTime: 'date_time',
  target: 'traffic_volume',
  years: [2012, 2013],
  trials: 5,
  top: 2,
  parallelism: 2,
  seed: 1,
  earlyStopping: 30,
};

describe('client CLI', () => {
  it('rejects bad flags with one clear line and a non-zero exit', () => {
    const bad = client(['train', '--trials', 'abc']);
    expect(bad.status).to.equal(1);
    expect(bad.stderr.split('\n')[0]).to.contain('"abc" is not a positive integer');
    expect(client(['train', '--years', '2016-2012']).stderr).to.contain('runs backwards');
    expect(client(['train', '--params', '{"n_estimators":5}']).stderr).to.contain('max_depth');
    expect(client(['train', '--engine', 'gpu']).stderr).to.contain('Allowed choices are auto, native, wasm');
    expect(client(['nope']).stderr).to.contain("unknown command 'nope'");
    expect(client(['train', '--trials', '100001']).stderr).to.contain(
      '100001 is above the limit of 100000 trials per search',
    );
    expect(client(['train', '--sampler', 'grid']).stderr).to.contain('Allowed choices are tpe, random');
    expect(client(['train', '--pruning', 'hyperband']).stderr).to.contain('Allowed choices are none, asha');
    expect(client(['train', '--reproducible', 'maybe']).stderr).to.contain('"maybe" is not true or false');
    expect(client(['train', '--shap-rows', '0']).stderr).to.contain('"0" is not a positive integer');
  });

  it('backtest: checks its flags before contacting the server', () => {
    expect(client(['backtest', '--origins', '2013']).stderr).to.contain(
      'origin(s) 2013 leave no training year after --first-year 2012',
    );
    expect(client(['backtest', '--features', 'v3']).stderr).to.contain('Allowed choices are v1, v2');
    expect(client(['backtest', '--ensemble', '0']).stderr).to.contain('"0" is not a positive integer');
    expect(client(['backtest', '--fine-tuning', 'false']).stderr).to.contain(
      '--fine-tuning false trains no model to backtest: give --params',
    );
  });

  it('names the bad row and field of prediction input before contacting the server', () => {
    const out = client(['predict'], JSON.stringify([{ ...SEED_EXAMPLE_ROWS[0], temp: 'warm' }]));
    expect(out.status).to.equal(1);
    expect(out.stderr).to.match(/row 0.*temp/);
    expect(client(['predict'], '').stderr).to.contain('empty');
    expect(client(['predict', 'no-such-file.json']).stderr).to.contain(
      'input file not found: no-such-file.json',
    );
  });

  it('says where Temporal is missing instead of hanging', () => {
    const out = client(['predict'], JSON.stringify(SEED_EXAMPLE_ROWS));
    expect(out.status).to.equal(1);
    expect(out.stderr).to.contain('cannot reach Temporal at 127.0.0.1:1');
  });

  it('rejects an invalid configuration naming the variable', () => {
    const out = client(['models', 'list'], undefined, { ARTIFACTS_URI: 'ftp://nowhere' });
    expect(out.status).to.equal(1);
    expect(out.stderr).to.contain('ARTIFACTS_URI must look like s3://bucket/prefix or file://dir');
  });

  it('reads prediction rows as JSON arrays, the seed payload, or CSV with extra columns', () => {
    const seedPayload = JSON.stringify({ run: { variables: { inputs: SEED_EXAMPLE_ROWS } } });
    expect(readPredictionRows(seedPayload, 'x')).to.deep.equal(SEED_EXAMPLE_ROWS);
    const csv =
      'holiday,temp,rain_1h,snow_1h,clouds_all,weather_main,weather_description,date_time,traffic_volume\nNone,288.28,0,0,40,Clouds,broken clouds,2024-10-02 09:00:00,5545\n';
    const rows = readPredictionRows(csv, 'x.csv');
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ temp: '288.28', traffic_volume: '5545' });
    expect(() => readPredictionRows('{"foo": 1}', 'x')).to.throw(/expected a JSON array/);
  });

  it('builds a training input from the seed-named flags', () => {
    expect(parseYears('2012-2014,2016')).to.deep.equal([2012, 2013, 2014, 2016]);
    const flags = { ...BASE_FLAGS, engine: 'auto', fineTuning: false, register: false } as TrainingFlags;
    const input = trainingInputFrom(flags, { dataUri: 'file://d', engine: 'auto', trigger: 'ad-hoc' });
    expect(input).to.include({
      validationYear: 2013,
      runFineTuning: false,
      registerModels: false,
      dataUri: 'file://d',
    });
    expect(input.shapSampleRows).to.equal(undefined);
    const shap = { dataUri: 'file://d', engine: 'auto', trigger: 'ad-hoc' } as const;
    expect(trainingInputFrom({ ...flags, shapRows: 200 }, shap).shapSampleRows).to.equal(200);
    expect(() =>
      trainingInputFrom(
        { ...flags, valYear: 2020 },
        { dataUri: 'file://d', engine: 'auto', trigger: 'ad-hoc' },
      ),
    ).to.throw(/not among/);
  });

  it('fills in the quality defaults the backtest chose, each overridable; recency only on the native engine', () => {
    const flags = {
      ...BASE_FLAGS,
      fineTuning: true,
      register: true,
      features: 'v2',
      refit: true,
      ensemble: 5,
    } as TrainingFlags;
    const defaults = { dataUri: 'file://d', engine: 'native', trigger: 'ad-hoc' } as const;
    const pick = (f: Partial<TrainingFlags>, engine: 'auto' | 'native' | 'wasm' = 'native') => {
      const { holidays, recencyHalfLife, intervalMethod } = trainingInputFrom(
        { ...flags, ...f },
        { ...defaults, engine },
      );
      return { holidays, recencyHalfLife, intervalMethod };
    };
    expect(pick({})).to.deep.equal({ holidays: 'major', recencyHalfLife: 0.5, intervalMethod: 'worst-year' });
    // Without sample weights on wasm, the default is off there; auto follows what this machine has.
    expect(pick({}, 'wasm').recencyHalfLife).to.equal(undefined);
    expect(pick({}, 'auto').recencyHalfLife).to.equal(probeNativeLibrary().found ? 0.5 : undefined);
    expect(pick({ recencyHalfLife: 'off' }).recencyHalfLife).to.equal(undefined);
    expect(pick({ recencyHalfLife: 2 }).recencyHalfLife).to.equal(2);
    expect(pick({ holidays: 'federal', intervalCalibration: 'one-year-ahead' })).to.deep.include({
      holidays: 'federal',
      intervalMethod: 'one-year-ahead',
    });
    // v1 knows no calendar: no holidays setting at all.
    expect(pick({ features: 'v1' }).holidays).to.equal(undefined);
    // What the result says it ran with; an input from before these settings reads as what it meant.
    expect(trainingSettingsLine(trainingInputFrom(flags, defaults))).to.equal(
      'v2, holidays major, recency half-life 0.5 y, refit, ensemble 5, intervals worst-year',
    );
    expect(trainingSettingsLine({ features: 'v2', refit: true, ensemble: 5 })).to.equal(
      'v2, holidays federal, no recency weights, refit, ensemble 5, intervals one-year-ahead',
    );
  });
});
