import { expect } from 'chai';
import { splitCsvByYear } from '../../src/data/split-by-year';
import { generateYear } from '../../src/data/synthetic';
import { parseTrafficCsv } from '../../src/data/traffic-csv';

/** Two generated years as one file, the way the UCI file holds all years. */
function combined(): { text: string; lines2015: string[]; lines2016: string[] } {
  const [header, ...lines2015] = generateYear({ year: 2015, seed: 3, hoursStep: 12 }).trimEnd().split('\n');
  const lines2016 = generateYear({ year: 2016, seed: 3, hoursStep: 12 }).trimEnd().split('\n').slice(1);
  return { text: `${[header, ...lines2015, ...lines2016].join('\n')}\n`, lines2015, lines2016 };
}

describe('splitCsvByYear', () => {
  it('writes one {prefix}_{year}.csv per year with the header and the rows in order', () => {
    const { text, lines2015, lines2016 } = combined();
    const { files, skipped } = splitCsvByYear({ text });
    expect(skipped).to.deep.equal([]);
    expect(files.map((f) => [f.year, f.fileName, f.rows])).to.deep.equal([
      [2015, 'Metro_Interstate_Traffic_Volume_2015.csv', lines2015.length],
      [2016, 'Metro_Interstate_Traffic_Volume_2016.csv', lines2016.length],
    ]);
    expect(files[0].text).to.equal(generateYear({ year: 2015, seed: 3, hoursStep: 12 }));
    for (const file of files) {
      const parsed = parseTrafficCsv({ text: file.text, file: file.fileName });
      expect(parsed.badRowCount).to.equal(0);
      expect(parsed.rows.every((r) => r.date_time.year === file.year)).to.equal(true);
    }
  });

  it('groups interleaved years, keeps quoted fields intact and uses the given prefix', () => {
    const text = [
      'holiday,temp,date_time,traffic_volume',
      'None,280,2017-01-01 00:00:00,1',
      '"Day, with comma",281,2016-12-31 23:00:00,2',
      'None,282,2017-01-01 01:00:00,3',
    ].join('\r\n');
    const { files } = splitCsvByYear({ text, prefix: 'traffic' });
    expect(files.map((f) => f.fileName)).to.deep.equal(['traffic_2016.csv', 'traffic_2017.csv']);
    expect(files[0].text).to.equal(
      'holiday,temp,date_time,traffic_volume\n"Day, with comma",281,2016-12-31 23:00:00,2\n',
    );
    expect(files[1].rows).to.equal(2);
  });

  it('reports rows whose date_time cannot be read, with their line numbers', () => {
    const text = 'date_time,v\n2016-01-01 00:00:00,1\nyesterday,2\n2016-01-01 01:00:00,3\n';
    const { files, skipped } = splitCsvByYear({ text });
    expect(files[0].rows).to.equal(2);
    expect(skipped).to.have.length(1);
    expect(skipped[0].line).to.equal(3);
    expect(skipped[0].reason).to.match(/yesterday/);
  });

  it('fails clearly without a date_time column or on empty input', () => {
    expect(() => splitCsvByYear({ text: 'a,b\n1,2\n' })).to.throw(/no date_time column/);
    expect(() => splitCsvByYear({ text: '' })).to.throw(/empty/);
  });
});
