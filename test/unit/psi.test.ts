import { createRng } from '../../src/search/search-space';
import { expect } from 'chai';
import type { TrafficRow } from '../../src/contracts/domain';
import { computeDrift, psi, SMALL_SAMPLE_ROWS } from '../../src/monitoring/psi';
import {
  binIndex,
  buildReferenceProfile,
  quantileEdges,
  validateReferenceProfile,
  type CategoricalFeatureProfile,
  type NumericFeatureProfile,
  type ReferenceProfile,
} from '../../src/monitoring/reference-profile';

/** The project's seeded PRNG, so the synthetic batches are the same on every run. */
function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.next();
}

interface Shape {
  tempShift?: number;
  unseenWeather?: number;
}

const WEATHER: [string, number][] = [
  ['Clouds', 0.35],
  ['Clear', 0.3],
  ['Rain', 0.15],
  ['Mist', 0.1],
  ['Snow', 0.07],
  ['Fog', 0.03],
];

/** Rows shaped like the real data: temp in kelvin, rain/snow mostly exactly 0, holidays only on 00:00 rows. */
function makeRows(n: number, seed: number, shape: Shape = {}): TrafficRow[] {
  const r = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const rows: TrafficRow[] = [];
  for (let i = 0; i < n; i++) {
    const hour = Math.floor(r() * 24);
    let weather = 'Drizzle';
    if (shape.unseenWeather && r() < shape.unseenWeather) weather = 'Tornado';
    else {
      let u = r();
      for (const [w, p] of WEATHER) {
        if ((u -= p) < 0) {
          weather = w;
          break;
        }
      }
    }
    rows.push({
      holiday: hour === 0 && r() < 0.03 ? 'Labor Day' : 'None',
      temp: 281 + 10 * normal() + (shape.tempShift ?? 0),
      rain_1h: r() < 0.9 ? 0 : Math.round(-Math.log(1 - r()) * 200) / 100,
      snow_1h: r() < 0.995 ? 0 : 0.1,
      clouds_all: [0, 1, 20, 40, 75, 90][Math.floor(r() * 6)],
      weather_main: weather,
      date_time: { year: 2016, month: 1, day: 1, hour, minute: 0, second: 0, text: '' },
      traffic_volume: 3000,
    });
  }
  return rows;
}

function numeric(profile: ReferenceProfile, feature: string): NumericFeatureProfile {
  return profile.features.find((f) => f.feature === feature) as NumericFeatureProfile;
}

describe('psi', () => {
  it('is 0 for identical proportions and matches the formula otherwise', () => {
    expect(psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).to.equal(0);
    const expected = -0.25 * Math.log(0.5) + 0.25 * Math.log(1.5);
    expect(psi([0.5, 0.5], [0.25, 0.75])).to.be.closeTo(expected, 1e-12);
  });

  it('floors empty bins at epsilon instead of returning Infinity', () => {
    const e = 1e-4;
    const expected = 0.5 * Math.log(1 / 0.5) + (e - 0.5) * Math.log(e / 0.5);
    expect(psi([0.5, 0.5], [1, 0])).to.be.closeTo(expected, 1e-12);
    expect(psi([0.5, 0.5], [1, 0], 1e-2)).to.be.lessThan(psi([0.5, 0.5], [1, 0]));
  });

  it('rejects bin counts that differ', () => {
    expect(() => psi([0.5, 0.5], [1])).to.throw(/2 bins but actual has 1/);
  });
});

describe('reference profile', () => {
  const profile = buildReferenceProfile({ rows: makeRows(5000, 1) });

  it('bins numeric features into at most 10 quantile bins with increasing edges', () => {
    expect(profile.rows).to.equal(5000);
    for (const f of profile.features) {
      const sum = f.proportions.reduce((a, b) => a + b, 0);
      expect(sum, f.feature).to.be.closeTo(1, 1e-9);
      if (f.kind !== 'numeric') continue;
      expect(f.proportions.length, f.feature)
        .to.equal(f.edges.length + 1)
        .and.to.be.at.most(10);
      expect(f.bins).to.have.length(f.proportions.length);
      f.edges.forEach((e, i) => i > 0 && expect(e).to.be.greaterThan(f.edges[i - 1]));
    }
    const temp = numeric(profile, 'temp');
    expect(temp.proportions).to.have.length(10);
    for (const p of temp.proportions) expect(p).to.be.closeTo(0.1, 0.01);
  });

  it('keeps the ties at 0 of rain and snow in one bin instead of repeating the edge', () => {
    const rain = numeric(profile, 'rain_1h');
    expect(rain.edges[0]).to.equal(0);
    expect(rain.bins[0]).to.equal('≤ 0');
    expect(rain.proportions[0]).to.be.closeTo(0.9, 0.02);
    expect(rain.bins[rain.bins.length - 1]).to.match(/^> /);
    const snow = numeric(profile, 'snow_1h');
    expect(snow.edges).to.deep.equal([0]);
    expect(snow.proportions[0]).to.be.closeTo(0.995, 0.004);
  });

  it('uses the hour of date_time and keeps every bin at least 5 % of the rows', () => {
    const hour = numeric(profile, 'hour');
    expect(hour.edges[0]).to.be.at.least(0);
    expect(hour.edges[hour.edges.length - 1]).to.be.below(23);
    for (const p of hour.proportions) expect(p).to.be.at.least(0.05);
  });

  it('gives a constant feature a second, empty bin so any change registers', () => {
    expect(quantileEdges([0, 0, 0, 0])).to.deep.equal([0]);
    const p = buildReferenceProfile({ rows: makeRows(100, 2).map((r) => ({ ...r, snow_1h: 0 })) });
    expect(numeric(p, 'snow_1h').proportions).to.deep.equal([1, 0]);
  });

  it('puts values in right-closed bins', () => {
    expect([-5, 0, 0.5, 1, 2, 9].map((x) => binIndex([0, 1, 2], x))).to.deep.equal([0, 0, 1, 1, 2, 3]);
  });

  it('profiles weather (after the model merge) and holiday as category shares', () => {
    const weather = profile.features.find((f) => f.feature === 'weather_main') as CategoricalFeatureProfile;
    expect(weather.categories).to.include('Fog_Smoke_Squall').and.not.include('Fog');
    expect(weather.closed).to.equal(false);
    const holiday = profile.features.find((f) => f.feature === 'holiday') as CategoricalFeatureProfile;
    expect(holiday.categories).to.deep.equal(['holiday', 'none']);
    expect(holiday.proportions[0]).to.be.greaterThan(0).and.below(0.01);
  });

  it('round-trips through JSON and rejects a damaged profile', () => {
    expect(validateReferenceProfile(JSON.parse(JSON.stringify(profile)))).to.deep.equal(profile);
    const broken = JSON.parse(JSON.stringify(profile)) as ReferenceProfile;
    (broken.features[0] as NumericFeatureProfile).proportions.pop();
    expect(() => validateReferenceProfile(broken)).to.throw(
      /invalid reference profile: features\.0.*one proportion and one label per bin/,
    );
    expect(() => validateReferenceProfile({ kind: 'x' })).to.throw(/invalid reference profile/);
  });

  it('refuses zero rows', () => {
    expect(() => buildReferenceProfile({ rows: [] })).to.throw(/zero rows/);
  });
});

describe('computeDrift', () => {
  const profile = buildReferenceProfile({ rows: makeRows(5000, 1) });

  it('finds no drift in a fresh sample of the same distribution', () => {
    const report = computeDrift({ profile, rows: makeRows(3000, 99) });
    expect(report.rows).to.equal(3000);
    expect(report.smallSample).to.equal(false);
    expect(report.maxPsi).to.be.below(0.05);
    expect(report.drifted).to.deep.equal([]);
    expect(report.features.map((f) => f.feature)).to.deep.equal([
      'temp',
      'rain_1h',
      'snow_1h',
      'clouds_all',
      'hour',
      'weather_main',
      'holiday',
    ]);
  });

  it('flags a shifted temperature distribution on temp only', () => {
    const report = computeDrift({ profile, rows: makeRows(3000, 99, { tempShift: 8 }) });
    const temp = report.features.find((f) => f.feature === 'temp')!;
    expect(temp.psi).to.be.greaterThan(0.2);
    expect(temp.drifted).to.equal(true);
    expect(temp.kind).to.equal('numeric');
    expect(temp.expected).to.have.length(temp.actual.length).and.length(temp.bins.length);
    expect(report.drifted).to.deep.equal(['temp']);
    expect(report.maxPsi).to.equal(temp.psi);
    expect(report.threshold).to.equal(0.2);
  });

  it('honours the threshold', () => {
    const report = computeDrift({ profile, rows: makeRows(3000, 99, { tempShift: 8 }), threshold: 10 });
    expect(report.drifted).to.deep.equal([]);
    expect(report.threshold).to.equal(10);
  });

  it('counts unseen categories in an "other" bin that the reference holds at epsilon', () => {
    const report = computeDrift({ profile, rows: makeRows(3000, 99, { unseenWeather: 0.15 }) });
    const weather = report.features.find((f) => f.feature === 'weather_main')!;
    expect(weather.kind).to.equal('categorical');
    expect(weather.bins[weather.bins.length - 1]).to.equal('other');
    expect(weather.expected[weather.expected.length - 1]).to.equal(0);
    expect(weather.actual[weather.actual.length - 1]).to.be.closeTo(0.15, 0.02);
    expect(weather.psi).to.be.greaterThan(0.2);
    expect(report.drifted).to.deep.equal(['weather_main']);
    const holiday = report.features.find((f) => f.feature === 'holiday')!;
    expect(holiday.bins).to.deep.equal(['holiday', 'none']);
  });

  it('flags small samples, whose PSI is inflated by noise alone', () => {
    expect(computeDrift({ profile, rows: makeRows(SMALL_SAMPLE_ROWS - 1, 5) }).smallSample).to.equal(true);
    expect(computeDrift({ profile, rows: makeRows(SMALL_SAMPLE_ROWS, 5) }).smallSample).to.equal(false);
    const small = computeDrift({ profile, rows: makeRows(48, 5) });
    const large = computeDrift({ profile, rows: makeRows(4800, 5) });
    expect(small.features[0].psi).to.be.greaterThan(5 * large.features[0].psi);
  });

  it('reports no drift for an empty batch', () => {
    const report = computeDrift({ profile, rows: [] });
    expect(report).to.include({ rows: 0, maxPsi: 0, smallSample: true });
    expect(report.drifted).to.deep.equal([]);
  });
});
