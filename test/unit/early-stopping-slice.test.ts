import { expect } from 'chai';
import { splitEarlyStopping } from '../../src/features/early-stopping-slice';
import { parseLocalDateTime } from '../../src/data/local-date-time';
import type { TrafficRow } from '../../src/contracts/domain';

function hourly(count: number): TrafficRow[] {
  return Array.from({ length: count }, (_, i) => ({
    holiday: 'None',
    temp: 280,
    rain_1h: 0,
    snow_1h: 0,
    clouds_all: 0,
    weather_main: 'Clear',
    date_time: parseLocalDateTime(
      `2015-01-${String(1 + Math.floor(i / 24)).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00`,
    ),
    traffic_volume: i,
  }));
}

describe('early-stopping slice', () => {
  it('holds out the latest rows of the training years, in time order, and describes the slice', () => {
    const rows = hourly(100);
    const { train, earlyStopping, slice } = splitEarlyStopping(rows, 0.2);
    expect(train).to.have.length(80);
    expect(earlyStopping).to.have.length(20);
    expect(earlyStopping.map((r) => r.traffic_volume)).to.deep.equal(
      rows.slice(80).map((r) => r.traffic_volume),
    );
    expect(slice).to.deep.equal({ from: '2015-01-04 08:00:00', to: '2015-01-05 03:00:00', rows: 20 });
    const lastTrain = train
      .map((r) => r.date_time.text)
      .sort()
      .at(-1) as string;
    expect(lastTrain < slice.from).to.equal(true);
  });

  it('keeps rows of one timestamp together, whatever their order', () => {
    const rows = hourly(10);
    const twin = { ...rows[8], weather_main: 'Mist' };
    const { train, earlyStopping } = splitEarlyStopping([twin, ...rows].reverse(), 0.2);
    expect(earlyStopping.map((r) => r.date_time.text)).to.have.members(
      [rows[9], rows[8], twin].map((r) => r.date_time.text),
    );
    expect(train).to.have.length(8);
  });

  it('refuses a fraction outside (0, 1)', () => {
    expect(() => splitEarlyStopping(hourly(10), 1)).to.throw(RangeError);
  });
});
