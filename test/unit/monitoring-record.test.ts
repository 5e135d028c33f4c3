import { expect } from 'chai';
import { generateYear } from '../../src/data/synthetic';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import type { TrafficRow } from '../../src/contracts/domain';
import { alertsOfRecord } from '../../src/monitoring/alerts';
import {
  binnedWasserstein,
  jensenShannonDistance,
  quantileSketch,
  sketchWasserstein,
} from '../../src/monitoring/distances';
import { computeMonitoringRecord, dayOf, type ServedRow } from '../../src/monitoring/monitoring-record';
import { dailyBaseline } from '../../src/monitoring/column-scores';
import { buildReferenceProfile } from '../../src/monitoring/reference-profile';
import { buildTrainingReference } from '../../src/monitoring/training-reference';

function hourlyYear(year: number, seed: number): TrafficRow[] {
  return parseTrafficCsv({ text: generateYear({ year, seed, hoursStep: 1 }), file: `y${year}.csv` }).rows;
}

describe('monitoring distances', () => {
  it('Wasserstein of two quantile sketches is the shift between equal shapes', () => {
    const a = Array.from({ length: 1000 }, (_, i) => i / 10);
    const b = a.map((x) => x + 7);
    expect(sketchWasserstein(quantileSketch(a), quantileSketch(b))).to.be.closeTo(7, 1e-9);
    expect(sketchWasserstein(quantileSketch(a), quantileSketch(a))).to.equal(0);
    expect(sketchWasserstein([], quantileSketch(a))).to.equal(undefined);
  });

  it('binned Wasserstein moves mass across the finite edges', () => {
    // All mass at ≤ 0 against all in (10, 20], which counts at its right edge: a move of 20.
    expect(binnedWasserstein([0, 10, 20], [1, 0, 0, 0], [0, 0, 1, 0])).to.be.closeTo(20, 1e-12);
    expect(binnedWasserstein([0, 10, 20], [0, 1, 0, 0], [0, 0, 1, 0])).to.be.closeTo(10, 1e-12);
    expect(binnedWasserstein([0, 10, 20], [0.2, 0.3, 0.5, 0], [0.2, 0.3, 0.5, 0])).to.equal(0);
  });

  it('Jensen–Shannon distance is 0 for equal shares, 1 for disjoint ones and symmetric', () => {
    expect(jensenShannonDistance([0.5, 0.5], [0.5, 0.5])).to.equal(0);
    expect(jensenShannonDistance([1, 0], [0, 1])).to.be.closeTo(1, 1e-12);
    const p = [0.7, 0.2, 0.1];
    const q = [0.1, 0.3, 0.6];
    expect(jensenShannonDistance(p, q)).to.be.closeTo(jensenShannonDistance(q, p), 1e-12);
    expect(jensenShannonDistance(p, q)).to.be.within(0.1, 0.9);
  });
});

describe('monitoring record', () => {
  const train = hourlyYear(2013, 1);
  const profile = buildReferenceProfile({ rows: train });
  const target = Float64Array.from(train, (r) => r.traffic_volume as number);
  // A stand-in model for the reference: its "predictions" are the labels plus a fixed bias.
  const reference = buildTrainingReference({
    modelName: 'm',
    modelVersion: 3,
    datasetHash: 'h',
    target,
    predictions: target.map((y) => y + 100),
    dailyBaseline: dailyBaseline(profile, train),
  });
  const later = hourlyYear(2015, 2);
  const byDay = new Map<string, TrafficRow[]>();
  for (const r of later) byDay.set(dayOf(r), [...(byDay.get(dayOf(r)) ?? []), r]);

  function served(rows: TrafficRow[], shift = 0): ServedRow[] {
    return rows.map((row) => ({
      row: { ...row, temp: row.temp + shift },
      date_time: row.date_time.text,
      prediction: (row.traffic_volume as number) + 50,
      version: 3,
      loggedAt: '2015-06-01T00:00:00Z',
    }));
  }

  it('holds every column with PSI and its distance, row counts, live accuracy and the worst column', () => {
    const day = byDay.get('2015-06-10') as TrafficRow[];
    const record = computeMonitoringRecord({
      modelName: 'm',
      day: '2015-06-10',
      profile,
      reference,
      dataRows: day,
      served: served(day),
      championPredictions: day.map((r) => (r.traffic_volume as number) + 30),
      championFittedOn: false,
      badDataRows: 2,
      badLogLines: 0,
    });
    expect(record.columns.map((c) => c.column)).to.deep.equal([
      'temp',
      'rain_1h',
      'snow_1h',
      'clouds_all',
      'hour',
      'weather_main',
      'holiday',
    ]);
    for (const c of record.columns) {
      expect(c.rows).to.equal(day.length);
      expect(c.referenceRows).to.equal(train.length);
      if (c.kind === 'numeric') expect(c.wasserstein).to.be.a('number');
      else expect(c.jensenShannon).to.be.within(0, 1);
    }
    expect(record.columnSource).to.equal('prediction-log');
    expect(record.liveAccuracy.byVersion).to.have.length(1);
    const hours = new Set(day.map((r) => r.date_time.text)).size;
    expect(record.liveAccuracy.byVersion[0]).to.include({ version: 3, rows: hours });
    expect(record.liveAccuracy.byVersion[0].rmse).to.be.closeTo(50, 1e-9);
    expect(record.championOnDay).to.deep.include({ rows: day.length, fittedOn: false });
    expect(record.championOnDay?.rmse).to.be.closeTo(30, 1e-9);
    expect(record.counts).to.deep.equal({
      served: day.length,
      dataRows: day.length,
      labelled: day.length,
      badDataRows: 2,
      badLogLines: 0,
      droppedLogRows: null,
    });
    expect(record.predictionDrift?.rows).to.equal(day.length);
    expect(record.targetDrift?.rows).to.equal(day.length);
    expect(record.worst?.ratio).to.equal(Math.max(...record.columns.map((c) => c.ratio)));
    expect(record.columns.filter((c) => c.column !== 'holiday').map((c) => c.thresholdMetric)).to.deep.equal([
      'wasserstein',
      'wasserstein',
      'wasserstein',
      'wasserstein',
      'wasserstein',
      'jensenShannon',
    ]);
  });

  it('no column of a month of ordinary later days passes its training-day limit', () => {
    const days = [...byDay.keys()].filter((d) => d.startsWith('2015-07'));
    const drifted = days.flatMap((day) =>
      computeMonitoringRecord({
        modelName: 'm',
        day,
        profile,
        reference,
        dataRows: byDay.get(day) as TrafficRow[],
        served: [],
        badDataRows: 0,
        badLogLines: 0,
      })
        .columns.filter((c) => c.drifted)
        .map((c) => `${day} ${c.column} ×${c.ratio.toFixed(2)}`),
    );
    expect(days).to.have.length(31);
    expect(drifted).to.deep.equal([]);
  });

  it('a shifted column stands out: the worst, drifted, alerted, with a Wasserstein of about the shift', () => {
    const day = byDay.get('2015-06-11') as TrafficRow[];
    const base = {
      modelName: 'm',
      day: '2015-06-11',
      profile,
      reference,
      dataRows: day,
      badDataRows: 0,
      badLogLines: 0,
    };
    const calm = computeMonitoringRecord({ ...base, served: served(day) });
    const shifted = computeMonitoringRecord({ ...base, served: served(day, -40) });
    const temp = (r: typeof calm) => r.columns.find((c) => c.column === 'temp');
    expect(shifted.worst?.column).to.equal('temp');
    expect(temp(shifted)?.drifted).to.equal(true);
    expect(temp(shifted)?.psi).to.be.greaterThan(5 * (temp(calm)?.psi ?? 0));
    expect((temp(shifted)?.wasserstein ?? 0) - (temp(calm)?.wasserstein ?? 0)).to.be.greaterThan(20);
    expect(alertsOfRecord(shifted).map((a) => a.cause)).to.include('drift-temp');
    expect(alertsOfRecord(calm).map((a) => a.cause)).to.deep.equal([]);
  });

  it('a day with nothing served falls back to the data rows; a day with nothing at all has no worst column', () => {
    const day = byDay.get('2015-06-12') as TrafficRow[];
    const base = { modelName: 'm', day: '2015-06-12', profile, reference, badDataRows: 0, badLogLines: 0 };
    const fromData = computeMonitoringRecord({ ...base, dataRows: day, served: [] });
    expect(fromData.columnSource).to.equal('data-files');
    expect(fromData.predictionDrift).to.equal(undefined);
    expect(fromData.liveAccuracy.matched).to.equal(0);
    const empty = computeMonitoringRecord({ ...base, dataRows: [], served: [] });
    expect(empty.columnSource).to.equal('none');
    expect(empty.worst).to.equal(undefined);
    expect(empty.columns.every((c) => !c.drifted)).to.equal(true);
  });
});
