import { expect } from 'chai';
import { csvRecordBatches } from '../../src/data/csv-record-batches';
import { predictionRowChunks } from '../../src/data/prediction-input';
import { parsePredictionRows } from '../../src/data/prediction-rows';

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const HEADER = 'holiday,temp,rain_1h,snow_1h,clouds_all,weather_main,date_time';
const line = (i: number): string =>
  `None,${280 + (i % 10)},0,0,40,Clouds,2016-01-01 ${String(i % 24).padStart(2, '0')}:00:00`;
const csv = (rows: number): Buffer =>
  Buffer.from(`${HEADER}\n${Array.from({ length: rows }, (_, i) => line(i)).join('\n')}\n`);

describe('prediction rows read a chunk at a time', () => {
  it('parses CSV a slice at a time, a multi-byte character split between two slices included', async () => {
    const text = Buffer.from('holiday,temp\nDía de la Raza,1\n"Año, Nuevo",2\n');
    for (const sliceSize of [1, 2, 3, 7, 1024]) {
      const batches = await all(csvRecordBatches(text, sliceSize));
      expect(batches.flat(), `slices of ${sliceSize} bytes`).to.deep.equal([
        { holiday: 'Día de la Raza', temp: '1' },
        { holiday: 'Año, Nuevo', temp: '2' },
      ]);
    }
  });

  it('gives CSV rows in order in chunks of the asked size, the last one shorter', async () => {
    const chunks = await all(predictionRowChunks(csv(25_003), 'in.csv', 10_000));
    expect(chunks.map((c) => c.length)).to.deep.equal([10_000, 10_000, 5_003]);
    const rows = chunks.flat();
    expect(rows[0]).to.include({ temp: '280', date_time: '2016-01-01 00:00:00' });
    expect(rows[25_002]).to.include({ temp: String(280 + (25_002 % 10)) });
  });

  it('reads JSON whole and chunks it the same way', async () => {
    const objects = Array.from({ length: 5 }, (_, i) => ({ temp: i }));
    const chunks = await all(
      predictionRowChunks(Buffer.from(`  ${JSON.stringify({ inputs: objects })}`), 'in.json', 2),
    );
    expect(chunks).to.deep.equal([objects.slice(0, 2), objects.slice(2, 4), objects.slice(4)]);
  });

  it('refuses empty input, a header without rows and broken CSV with the one-line messages of whole reads', async () => {
    const cases: Array<[string, RegExp]> = [
      [' \n\t', /^in\.csv: no input rows \(empty input\)$/],
      [`${HEADER}\n`, /^in\.csv: the CSV has a header but no rows$/],
      [
        `${HEADER}\n${line(0)}\nNone,"unclosed,0,0,40,Clouds,2016-01-01 00:00:00\n`,
        /^in\.csv: not valid JSON or CSV \(.+\)$/,
      ],
      ['[{"temp": 1}', /^in\.csv: invalid JSON/],
    ];
    for (const [text, message] of cases) {
      let error: Error | undefined;
      try {
        await all(predictionRowChunks(Buffer.from(text), 'in.csv', 2));
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message, JSON.stringify(text)).to.match(message);
      expect(error?.message).to.not.include('\n');
    }
  });

  it('names a bad row by its index in the whole input when checked a chunk at a time', () => {
    const chunk = [
      {
        holiday: 'None',
        temp: '1',
        rain_1h: '0',
        snow_1h: '0',
        clouds_all: '0',
        weather_main: 'Clear',
        date_time: 'soon',
      },
    ];
    expect(() => parsePredictionRows(chunk, 120_000)).to.throw(
      /^row 120000, field date_time: invalid date_time "soon"/,
    );
  });
});
