/** Seed-parity removal of duplicated records. */
import { daysFromCivil } from './local-date-time';
import type { TrafficRow } from '../contracts/domain';

function sameRecord(a: TrafficRow, b: TrafficRow): boolean {
  return (
    a.temp === b.temp &&
    a.rain_1h === b.rain_1h &&
    a.snow_1h === b.snow_1h &&
    a.clouds_all === b.clouds_all &&
    a.traffic_volume === b.traffic_volume &&
    a.holiday === b.holiday &&
    a.weather_main === b.weather_main
  );
}

/**
 * Seed parity: `df[COLUMNS + [TARGET, DATE_TIME]].drop_duplicates(keep="last")`. Rows equal in every
 * selected column (weather_description is not selected) collapse to their last occurrence; survivors keep
 * their order. Rows at the same hour with a different weather_main are NOT duplicates and both stay.
 */
export function dedupeRows(rows: readonly TrafficRow[]): TrafficRow[] {
  const n = rows.length;
  const keys = new Float64Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const t = rows[i].date_time;
    keys[i] = daysFromCivil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
    if (i > 0 && keys[i] < keys[i - 1]) sorted = false;
  }
  const keep = sorted ? keepLastInRuns(rows, keys) : keepLastWithMap(rows, keys);
  const kept: TrafficRow[] = [];
  for (let i = 0; i < n; i++) if (keep[i] === 1) kept.push(rows[i]);
  return kept;
}

/** Time-sorted input (the usual case): rows of one timestamp are adjacent, so no hash map is needed. */
function keepLastInRuns(rows: readonly TrafficRow[], keys: Float64Array): Uint8Array {
  const keep = new Uint8Array(rows.length);
  let runEnd = rows.length;
  for (let i = rows.length - 1; i >= 0; i--) {
    if (i + 1 < rows.length && keys[i] !== keys[i + 1]) runEnd = i + 1;
    keep[i] = 1;
    for (let j = i + 1; j < runEnd; j++) {
      if (keep[j] === 1 && sameRecord(rows[j], rows[i])) {
        keep[i] = 0;
        break;
      }
    }
  }
  return keep;
}

function keepLastWithMap(rows: readonly TrafficRow[], keys: Float64Array): Uint8Array {
  const keep = new Uint8Array(rows.length);
  const later = new Map<number, number[]>();
  for (let i = rows.length - 1; i >= 0; i--) {
    const kept = later.get(keys[i]);
    if (kept === undefined) later.set(keys[i], [i]);
    else if (kept.some((j) => sameRecord(rows[j], rows[i]))) continue;
    else kept.push(i);
    keep[i] = 1;
  }
  return keep;
}
