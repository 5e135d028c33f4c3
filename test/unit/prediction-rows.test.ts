import { expect } from 'chai';
import { PredictionInputError, parsePredictionRows } from '../../src/data/prediction-rows';

describe('parsePredictionRows', () => {
  it('accepts numbers given as strings and ignores extra keys', () => {
    const rows = parsePredictionRows([
      {
        holiday: 'None',
        temp: '281.5',
        rain_1h: '0',
        snow_1h: 0,
        clouds_all: '40',
        weather_main: 'Clouds',
        date_time: '2024-10-02 09:00:00',
        traffic_volume: 99,
        note: 'x',
      },
    ]);
    expect(rows).to.deep.equal([
      {
        holiday: 'None',
        temp: 281.5,
        rain_1h: 0,
        snow_1h: 0,
        clouds_all: 40,
        weather_main: 'Clouds',
        date_time: {
          year: 2024,
          month: 10,
          day: 2,
          hour: 9,
          minute: 0,
          second: 0,
          text: '2024-10-02 09:00:00',
        },
      },
    ]);
  });

  it('names the row index and the field in errors', () => {
    const good = {
      holiday: 'None',
      temp: 280,
      rain_1h: 0,
      snow_1h: 0,
      clouds_all: 1,
      weather_main: 'Clear',
      date_time: '2024-01-01 00:00:00',
    };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...good, temp: 'warm' }, 'temp', /expected a number, got "warm"/],
      [{ ...good, clouds_all: undefined }, 'clouds_all', /expected a number/],
      [{ ...good, rain_1h: Number.NaN }, 'rain_1h', /finite/],
      [{ ...good, weather_main: '' }, 'weather_main', /non-empty string/],
      [{ ...good, holiday: null }, 'holiday', /"None"/],
      [{ ...good, date_time: '2024-02-30 00:00:00' }, 'date_time', /invalid date_time/],
    ];
    for (const [row, field, message] of cases) {
      try {
        parsePredictionRows([good, row]);
        expect.fail(`no error for ${field}`);
      } catch (error) {
        expect(error).to.be.instanceOf(PredictionInputError);
        expect((error as PredictionInputError).row).to.equal(1);
        expect((error as PredictionInputError).field).to.equal(field);
        expect((error as Error).message)
          .to.match(new RegExp(`^row 1, field ${field}: `))
          .and.match(message);
      }
    }
    expect(() => parsePredictionRows([good, 'x'])).to.throw(PredictionInputError, 'row 1');
  });
});
