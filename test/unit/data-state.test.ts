import { expect } from 'chai';
import {
  diffDataState,
  objectsFromList,
  stateFingerprint,
  yearOfKey,
  type DataState,
} from '../../src/retraining/data-state';
import { validateDataState } from '../../src/retraining/data-state-schema';

const P = 'Metro_Interstate_Traffic_Volume';

const previous: DataState = {
  dataUri: 's3://traffic/data',
  objects: {
    [`${P}_2015.csv`]: { etag: 'a15', size: 100 },
    [`${P}_2016.csv`]: { etag: 'a16', size: 200 },
    [`${P}_2017.csv`]: { etag: 'a17', size: 300 },
  },
  committedAt: '2024-05-01T03:00:00.000Z',
  trainingWorkflowId: 'train-x',
};

describe('data state', () => {
  it('sorts objects into added, changed (same key, new etag or size), removed and unchanged', () => {
    const diff = diffDataState(previous, {
      [`${P}_2018.csv`]: { etag: 'b18', size: 10 },
      [`${P}_2017.csv`]: { etag: 'b17', size: 300 },
      [`${P}_2016.csv`]: { etag: 'a16', size: 201 },
      [`${P}_2015.csv`]: { etag: 'a15', size: 100 },
      [`${P}_2019.csv`]: { etag: 'b19', size: 10 },
    });
    expect(diff).to.deep.equal({
      added: [`${P}_2018.csv`, `${P}_2019.csv`],
      changed: [`${P}_2016.csv`, `${P}_2017.csv`],
      removed: [],
      unchanged: [`${P}_2015.csv`],
    });
    expect(diffDataState(previous, { [`${P}_2015.csv`]: { etag: 'a15', size: 100 } })).to.deep.equal({
      added: [],
      changed: [],
      removed: [`${P}_2016.csv`, `${P}_2017.csv`],
      unchanged: [`${P}_2015.csv`],
    });
  });

  it('treats everything as added when there is no previous state', () => {
    const diff = diffDataState(undefined, previous.objects);
    expect(diff.added).to.have.length(3);
    expect(diff.changed.length + diff.removed.length + diff.unchanged.length).to.equal(0);
  });

  it('does not mistake inherited object properties for keys', () => {
    expect(diffDataState(previous, { constructor: { etag: 'x', size: 1 } }).added).to.deep.equal([
      'constructor',
    ]);
  });

  it('fingerprints a state independently of key order and sensitively to etag and size', () => {
    const a = stateFingerprint(previous.objects);
    const reordered = Object.fromEntries(Object.entries(previous.objects).reverse());
    expect(stateFingerprint(reordered)).to.equal(a);
    expect(a).to.match(/^[0-9a-f]{14}$/);
    expect(
      stateFingerprint({ ...previous.objects, [`${P}_2016.csv`]: { etag: 'a16x', size: 200 } }),
    ).to.not.equal(a);
    expect(
      stateFingerprint({ ...previous.objects, [`${P}_2016.csv`]: { etag: 'a16', size: 201 } }),
    ).to.not.equal(a);
    expect(stateFingerprint({}))
      .to.match(/^[0-9a-f]{14}$/)
      .and.not.equal(a);
    // Pinned: a fingerprint stored yesterday must still match today.
    expect(stateFingerprint({ 'k.csv': { etag: 'e', size: 1 } })).to.equal('1983019c5099c9');
  });

  it('reads the year from {prefix}_{year}.csv keys only', () => {
    expect(yearOfKey(`${P}_2016.csv`, P)).to.equal(2016);
    expect(yearOfKey(`raw/${P}_2017.csv`, P)).to.equal(2017);
    expect(yearOfKey(`${P}_2016.csv.bak`, P)).to.equal(undefined);
    expect(yearOfKey(`${P}_16.csv`, P)).to.equal(undefined);
    expect(yearOfKey(`Other_2016.csv`, P)).to.equal(undefined);
    expect(yearOfKey(`X${P}_2016.csv`, P)).to.equal(undefined);
    expect(yearOfKey('a.b_2016.csv', 'a.b')).to.equal(2016);
    expect(yearOfKey('axb_2016.csv', 'a.b')).to.equal(undefined);
  });

  it('builds the object map from a listing', () => {
    expect(objectsFromList([{ key: 'k', etag: 'e', size: 3 }])).to.deep.equal({ k: { etag: 'e', size: 3 } });
  });

  it('validates a stored state', () => {
    expect(validateDataState(JSON.parse(JSON.stringify(previous)))).to.deep.equal(previous);
    expect(validateDataState({ dataUri: 'file://d', objects: {} })).to.deep.equal({
      dataUri: 'file://d',
      objects: {},
    });
    expect(() =>
      validateDataState({ dataUri: 'file://d', objects: { k: { etag: 'e', size: -1 } } }),
    ).to.throw(/invalid data state: objects\.k\.size/);
    expect(() => validateDataState(null)).to.throw(/invalid data state/);
  });
});
