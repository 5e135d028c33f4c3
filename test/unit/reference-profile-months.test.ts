import { expect } from 'chai';
import {
  buildReferenceProfile,
  validateReferenceProfile,
  type ReferenceProfile,
} from '../../src/monitoring/reference-profile';
import { syntheticYear, withoutMonths } from '../support/profile-fixtures';

const json = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('per-month reference profile', () => {
  const reference = [...syntheticYear(2012, 12), ...syntheticYear(2013, 13)];
  const profile = buildReferenceProfile({ rows: reference });

  it('records every feature’s bin shares per calendar month', () => {
    for (const f of profile.features) {
      expect(f.byMonth, f.feature).to.have.length(12);
      expect(f.byMonth!.map((m) => m.month)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(
        f.byMonth!.reduce((n, m) => n + m.rows, 0),
        f.feature,
      ).to.equal(reference.length);
      for (const m of f.byMonth!) {
        expect(m.proportions, `${f.feature} ${m.month}`).to.have.length(f.proportions.length);
        expect(m.proportions.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-9);
      }
    }
    // The months' shares weighted by their rows are the overall shares.
    const temp = profile.features.find((f) => f.feature === 'temp')!;
    temp.proportions.forEach((p, k) => {
      const mixed = temp.byMonth!.reduce((s, m) => s + (m.rows / reference.length) * m.proportions[k], 0);
      expect(mixed).to.be.closeTo(p, 1e-9);
    });
  });

  it('round-trips through JSON', () => {
    expect(validateReferenceProfile(json(profile))).to.deep.equal(profile);
  });

  it('still loads a profile stored without per-month shares', () => {
    const old = json(withoutMonths(profile));
    expect(validateReferenceProfile(old).features.every((f) => f.byMonth === undefined)).to.equal(true);
  });

  it('rejects a malformed per-month section, saying where and why', () => {
    const damage = (edit: (p: ReferenceProfile) => void): ReferenceProfile => {
      const broken = json(profile);
      edit(broken);
      return broken;
    };
    const cases: [ReferenceProfile, RegExp][] = [
      [
        damage((p) => p.features[0].byMonth![2].proportions.pop()),
        /features\.0\.byMonth\.2\.proportions: month 3 has \d+ proportions but the feature has \d+ bins/,
      ],
      [
        damage((p) => (p.features[5].byMonth![0].proportions[0] += 0.1)),
        /features\.5\.byMonth\.0\.proportions: month 1: proportions must sum to 1/,
      ],
      [
        damage((p) => (p.features[1].byMonth![4].month = 4)),
        /features\.1\.byMonth\.4: month 4 appears twice/,
      ],
      [damage((p) => (p.features[1].byMonth![4].month = 13)), /features\.1\.byMonth\.4\.month/],
      [damage((p) => (p.features[1].byMonth![4].rows = 0)), /features\.1\.byMonth\.4\.rows/],
      [damage((p) => delete p.features[3].byMonth), /features: byMonth must be on every feature or on none/],
      [
        damage((p) => (p.features[6].byMonth![0].rows += p.rows)),
        /features\.6\.byMonth: months hold \d+ rows, more than the profile's \d+/,
      ],
    ];
    for (const [broken, message] of cases) {
      expect(() => validateReferenceProfile(broken)).to.throw(/^invalid reference profile: /);
      expect(() => validateReferenceProfile(broken)).to.throw(message);
    }
  });
});
