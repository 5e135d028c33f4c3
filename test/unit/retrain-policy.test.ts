import { expect } from 'chai';
import type { DataDiff } from '../../src/retraining/data-state';
import { chooseYears, decideRetraining } from '../../src/retraining/policy';
import type { RetrainPolicy } from '../../src/contracts';

const P = 'Metro_Interstate_Traffic_Volume';
const policy: RetrainPolicy = {
  retrainOnDrift: true,
  retrainOnDecay: true,
  psiThreshold: 0.2,
  decayRatio: 1.25,
};
const off: RetrainPolicy = { ...policy, retrainOnDrift: false, retrainOnDecay: false };

function diff(d: Partial<DataDiff>): DataDiff {
  return { added: [], changed: [], removed: [], unchanged: [`${P}_2015.csv`, `${P}_2016.csv`], ...d };
}

const calm = {
  maxPsi: 0.04,
  drifted: [],
  features: [{ feature: 'temp', psi: 0.04 }],
  smallSample: false,
  rows: 8000,
};
const drifted = {
  maxPsi: 0.31,
  drifted: ['temp', 'clouds_all'],
  features: [
    { feature: 'clouds_all', psi: 0.22 },
    { feature: 'temp', psi: 0.31 },
    { feature: 'hour', psi: 0.01 },
  ],
  smallSample: false,
  rows: 8000,
};

describe('decideRetraining', () => {
  it('retrains on new objects, naming them', () => {
    const v = decideRetraining({ diff: diff({ added: [`${P}_2017.csv`, `${P}_2018.csv`] }), policy });
    expect(v).to.deep.equal({
      retrain: true,
      decision: 'new-data',
      reasons: [`2 new objects: ${P}_2017.csv, ${P}_2018.csv`],
    });
  });

  it('shortens long lists of objects', () => {
    const added = [2012, 2013, 2014, 2015, 2016].map((y) => `${P}_${y}.csv`);
    const v = decideRetraining({ diff: diff({ added, unchanged: [] }), policy });
    expect(v.reasons[0]).to.equal(`5 new objects: ${added.slice(0, 3).join(', ')}, … (+2 more)`);
  });

  it('retrains on a changed object (same key, new etag)', () => {
    const v = decideRetraining({
      diff: diff({ changed: [`${P}_2016.csv`], unchanged: [`${P}_2015.csv`] }),
      policy,
    });
    expect(v).to.include({ retrain: true, decision: 'changed-data' });
    expect(v.reasons).to.deep.equal([`1 changed object: ${P}_2016.csv`]);
  });

  it('prefers new-data over other triggers but keeps every reason', () => {
    const v = decideRetraining({
      diff: diff({ added: [`${P}_2017.csv`], changed: [`${P}_2016.csv`] }),
      drift: drifted,
      policy,
    });
    expect(v.decision).to.equal('new-data');
    expect(v.reasons).to.deep.equal([
      `1 new object: ${P}_2017.csv`,
      `1 changed object: ${P}_2016.csv`,
      'PSI of temp 0.31 > 0.2',
      'PSI of clouds_all 0.22 > 0.2',
    ]);
  });

  it('does nothing without new data, drift or decay', () => {
    const v = decideRetraining({
      diff: diff({}),
      drift: calm,
      decay: { ratio: 1.05, rmse: 383, validationRmse: 365 },
      policy,
    });
    expect(v).to.deep.equal({
      retrain: false,
      decision: 'no-new-data',
      reasons: [
        'no new or changed objects (2 unchanged)',
        'no drift: max PSI 0.04 ≤ 0.2',
        'no decay: champion RMSE 383 is 1.05× its validation RMSE 365 (≤ 1.25)',
      ],
    });
  });

  it('reports removed objects without retraining on them', () => {
    const v = decideRetraining({ diff: diff({ removed: [`${P}_2012.csv`] }), policy });
    expect(v.retrain).to.equal(false);
    expect(v.reasons).to.include(`1 removed object (not a retrain trigger): ${P}_2012.csv`);
  });

  it('retrains on drift when the policy allows it, judged by the policy threshold', () => {
    const v = decideRetraining({ diff: diff({}), drift: drifted, policy });
    expect(v).to.deep.equal({
      retrain: true,
      decision: 'drift',
      reasons: ['PSI of temp 0.31 > 0.2', 'PSI of clouds_all 0.22 > 0.2'],
    });
    const stricter = decideRetraining({
      diff: diff({}),
      drift: drifted,
      policy: { ...policy, psiThreshold: 0.25 },
    });
    expect(stricter.reasons).to.deep.equal(['PSI of temp 0.31 > 0.25']);
    const looser = decideRetraining({
      diff: diff({}),
      drift: drifted,
      policy: { ...policy, psiThreshold: 0.5 },
    });
    expect(looser.retrain).to.equal(false);
  });

  it('falls back to maxPsi and the drifted list when per-feature PSIs are absent', () => {
    const v = decideRetraining({ diff: diff({}), drift: { maxPsi: 0.31, drifted: ['temp'] }, policy });
    expect(v).to.deep.equal({ retrain: true, decision: 'drift', reasons: ['PSI of temp up to 0.31 > 0.2'] });
  });

  it('reports drift but does not retrain when drift retraining is off', () => {
    const v = decideRetraining({ diff: diff({}), drift: drifted, policy: off });
    expect(v.retrain).to.equal(false);
    expect(v.reasons).to.include('PSI of temp 0.31 > 0.2 (retraining on drift is off)');
  });

  it('ignores drift measured on a small sample', () => {
    const v = decideRetraining({
      diff: diff({}),
      drift: { ...drifted, smallSample: true, rows: 24 },
      policy,
    });
    expect(v.retrain).to.equal(false);
    expect(v.reasons).to.include(
      'PSI of temp 0.31 > 0.2 (ignored: only 24 rows, too few for a reliable PSI)',
    );
  });

  it('retrains on decay with a readable reason', () => {
    const v = decideRetraining({
      diff: diff({}),
      decay: { ratio: 512 / 365, rmse: 512, validationRmse: 365 },
      policy,
    });
    expect(v).to.deep.equal({
      retrain: true,
      decision: 'decay',
      reasons: ['champion RMSE 512 is 1.4× its validation RMSE 365 (> 1.25)'],
    });
    expect(decideRetraining({ diff: diff({}), decay: { ratio: 1.5 }, policy }).reasons).to.deep.equal([
      'champion RMSE is 1.5× its validation RMSE (> 1.25)',
    ]);
  });

  it('prefers drift over decay, and reports decay without retraining when it is off', () => {
    expect(
      decideRetraining({ diff: diff({}), drift: drifted, decay: { ratio: 2 }, policy }).decision,
    ).to.equal('drift');
    const v = decideRetraining({
      diff: diff({}),
      decay: { ratio: 2, rmse: 730, validationRmse: 365 },
      policy: off,
    });
    expect(v.retrain).to.equal(false);
    expect(v.reasons).to.include(
      'champion RMSE 730 is 2× its validation RMSE 365 (> 1.25; retraining on decay is off)',
    );
  });

  it('treats a ratio exactly at the limit as no decay', () => {
    expect(decideRetraining({ diff: diff({}), decay: { ratio: 1.25 }, policy }).retrain).to.equal(false);
  });
});

describe('chooseYears', () => {
  it('validates on the newest complete year and trains on the earlier ones', () => {
    expect(
      chooseYears({
        years: [2016, 2013, 2014, 2015, 2017, 2018],
        completeYears: [2013, 2014, 2015, 2016, 2017],
      }),
    ).to.deep.equal({
      years: [2013, 2014, 2015, 2016, 2017],
      validationYear: 2017,
    });
  });

  it('accepts an explicit validation year', () => {
    expect(
      chooseYears({
        years: [2013, 2014, 2015, 2016],
        completeYears: [2013, 2014, 2015, 2016],
        validationYear: 2015,
      }),
    ).to.deep.equal({
      years: [2013, 2014, 2015],
      validationYear: 2015,
    });
  });

  it('fails clearly when no year precedes the validation year', () => {
    expect(() => chooseYears({ years: [2016], completeYears: [2016] })).to.throw(
      'no year before validation year 2016 to train on (years present: 2016)',
    );
    expect(() =>
      chooseYears({ years: [2015, 2016], completeYears: [2015, 2016], validationYear: 2015 }),
    ).to.throw(/no year before validation year 2015/);
  });

  it('fails clearly without a complete year, without data, or with an absent validation year', () => {
    expect(() => chooseYears({ years: [2018], completeYears: [] })).to.throw(
      /no complete year to validate on among 2018/,
    );
    expect(() => chooseYears({ years: [], completeYears: [] })).to.throw(/no data files found/);
    expect(() =>
      chooseYears({ years: [2015, 2016], completeYears: [2015, 2016], validationYear: 2017 }),
    ).to.throw(/validation year 2017 has no data file/);
  });
});
