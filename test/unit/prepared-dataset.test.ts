import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import { parseLocalDateTime } from '../../src/data/local-date-time';
import { fitFeaturePipeline, transformRows, targetVector } from '../../src/features/features';
import {
  PreparedDatasetFormatError,
  decodePreparedDataset,
  encodePreparedDataset,
  readPreparedDatasetMeta,
  type PreparedDataset,
} from '../../src/features/prepared-dataset';
import type { TrafficRow } from '../../src/contracts/domain';
import { splitEarlyStopping } from '../../src/features/early-stopping-slice';
import { fitPipeline, transformWithPipeline } from '../../src/features/feature-pipeline';

function rows(year: number, count: number): TrafficRow[] {
  return Array.from({ length: count }, (_, i) => ({
    holiday: i === 0 ? 'New Years Day' : 'None',
    temp: 260 + i * 0.37,
    rain_1h: i % 3 === 0 ? 0.5 : 0,
    snow_1h: 0,
    clouds_all: (i * 7) % 100,
    weather_main: ['Clear', 'Clouds', 'Rain', 'Snow'][i % 4],
    date_time: parseLocalDateTime(
      `${year}-01-${String(1 + Math.floor(i / 24)).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00`,
    ),
    traffic_volume: 300 + i * 11,
  }));
}

function dataset(): PreparedDataset {
  const train = rows(2015, 50);
  const validation = rows(2016, 17);
  const pipeline = fitFeaturePipeline({ rows: train });
  return {
    meta: {
      hash: 'sha256:abc',
      featureNames: pipeline.featureNames,
      pipeline,
      trainRows: train.length,
      validationRows: validation.length,
      validationYear: 2016,
      trainYears: [2015],
      sources: [{ file: 'x_2015.csv', rows: 50, badRowCount: 0 }],
    },
    train: transformRows(pipeline, train),
    trainLabels: targetVector(train),
    validation: transformRows(pipeline, validation),
    validationLabels: targetVector(validation),
  };
}

/** Format 2: a v2 pipeline and an early-stopping slice held out of the training rows. */
function datasetWithEarlyStopping(): PreparedDataset {
  const all = rows(2015, 60);
  const held = splitEarlyStopping(all, 0.2);
  const validation = rows(2016, 17);
  const pipeline = fitPipeline({ features: 'v2', rows: held.train });
  return {
    meta: {
      hash: 'sha256:def',
      featureNames: pipeline.featureNames,
      pipeline,
      trainRows: held.train.length,
      validationRows: validation.length,
      validationYear: 2016,
      earlyStopping: held.slice,
      cleanedValues: {},
    },
    train: transformWithPipeline(pipeline, held.train).matrix,
    trainLabels: targetVector(held.train),
    validation: transformWithPipeline(pipeline, validation).matrix,
    validationLabels: targetVector(validation),
    earlyStopping: transformWithPipeline(pipeline, held.earlyStopping).matrix,
    earlyStoppingLabels: targetVector(held.earlyStopping),
  };
}

describe('prepared data set encoding', () => {
  it('format 2 round-trips the early-stopping slice and a v2 pipeline; format 1 sets stay readable', () => {
    const d = datasetWithEarlyStopping();
    const encoded = encodePreparedDataset(d);
    expect(encoded.readUInt32LE(4)).to.equal(2);
    expect(decodePreparedDataset(encoded)).to.deep.equal(d);
    expect(decodePreparedDataset(encoded, { shared: true }).earlyStopping?.rows).to.equal(12);
    const old = encodePreparedDataset(dataset());
    expect(old.readUInt32LE(4)).to.equal(1);
    expect(decodePreparedDataset(old).earlyStopping).to.equal(undefined);
  });

  it('round-trips meta and every float exactly', () => {
    const d = dataset();
    const decoded = decodePreparedDataset(encodePreparedDataset(d));
    expect(decoded).to.deep.equal(d);
    expect(readPreparedDatasetMeta(encodePreparedDataset(d))).to.deep.equal(d.meta);
  });

  it('keeps extra meta fields', () => {
    const d = dataset();
    const meta = { ...d.meta, note: 'kept' } as PreparedDataset['meta'];
    expect(readPreparedDatasetMeta(encodePreparedDataset({ ...d, meta }))).to.have.property('note', 'kept');
  });

  it('has a 4-byte aligned little-endian layout', () => {
    const d = dataset();
    const buffer = encodePreparedDataset(d);
    expect(buffer.toString('latin1', 0, 4)).to.equal('TVPD');
    const headerBytes = buffer.readUInt32LE(8);
    expect(headerBytes % 4).to.equal(0);
    const body = 12 + headerBytes;
    const cols = d.train.cols;
    expect(buffer.length - body).to.equal(4 * (50 * cols + 50 + 17 * cols + 17));
    expect(buffer.readFloatLE(body)).to.equal(d.train.data[0]);
    expect(buffer.readFloatLE(buffer.length - 4)).to.equal(d.validationLabels[16]);
  });

  it('decodes from an unaligned buffer and never aliases it', () => {
    const encoded = encodePreparedDataset(dataset());
    const unaligned = Buffer.alloc(encoded.length + 1);
    encoded.copy(unaligned, 1);
    const view = unaligned.subarray(1);
    const decoded = decodePreparedDataset(view);
    view.fill(0);
    expect(decoded).to.deep.equal(dataset());
  });

  it('puts all arrays in one SharedArrayBuffer when asked', () => {
    const d = decodePreparedDataset(encodePreparedDataset(dataset()), { shared: true });
    const buffers = [
      d.train.data.buffer,
      d.trainLabels.buffer,
      d.validation.data.buffer,
      d.validationLabels.buffer,
    ];
    expect(buffers.every((b) => b instanceof SharedArrayBuffer)).to.equal(true);
    expect(new Set(buffers).size).to.equal(1);
    expect(decodePreparedDataset(encodePreparedDataset(dataset())).train.data.buffer).to.not.be.instanceOf(
      SharedArrayBuffer,
    );
  });

  it('lets a worker thread read the shared arrays without a copy', async () => {
    const d = decodePreparedDataset(encodePreparedDataset(dataset()), { shared: true });
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const labels = workerData.labels;
      parentPort.postMessage(labels[3]);
      labels[3] = -1;
      parentPort.postMessage('written');`;
    const worker = new Worker(code, { eval: true, workerData: { labels: d.trainLabels } });
    const messages: unknown[] = await new Promise((resolve, reject) => {
      const got: unknown[] = [];
      worker.on('message', (m) => {
        got.push(m);
        if (got.length === 2) resolve(got);
      });
      worker.on('error', reject);
    });
    await worker.terminate();
    expect(messages[0]).to.equal(dataset().trainLabels[3]);
    expect(d.trainLabels[3]).to.equal(-1); // the worker wrote into the very same memory
  });

  it('rejects corrupt or inconsistent buffers', () => {
    const good = encodePreparedDataset(dataset());
    const corrupt = (edit: (b: Buffer) => Buffer) => () => decodePreparedDataset(edit(Buffer.from(good)));
    expect(corrupt((b) => (b.write('XXXX', 0, 'latin1'), b))).to.throw(PreparedDatasetFormatError, /magic/);
    expect(corrupt((b) => (b.writeUInt32LE(99, 4), b))).to.throw(
      PreparedDatasetFormatError,
      /format version 99/,
    );
    expect(corrupt((b) => b.subarray(0, b.length - 4))).to.throw(PreparedDatasetFormatError, /body is/);
    expect(corrupt((b) => (b.writeUInt32LE(1 << 30, 8), b))).to.throw(
      PreparedDatasetFormatError,
      /header length/,
    );
    expect(corrupt((b) => (b.write('!', 12, 'latin1'), b))).to.throw(PreparedDatasetFormatError, /not JSON/);
    expect(corrupt((b) => b.subarray(0, 6))).to.throw(PreparedDatasetFormatError);
  });

  it('refuses to encode inconsistent shapes', () => {
    const d = dataset();
    expect(() => encodePreparedDataset({ ...d, trainLabels: d.trainLabels.subarray(1) })).to.throw(
      /trainLabels length/,
    );
    expect(() =>
      encodePreparedDataset({ ...d, meta: { ...d.meta, featureNames: d.meta.featureNames.slice(1) } }),
    ).to.throw(/feature names/);
    expect(() => encodePreparedDataset({ ...d, meta: { ...d.meta, trainRows: 3 } })).to.throw(/row counts/);
  });
});
