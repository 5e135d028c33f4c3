import { generateYear } from '../../src/data/synthetic';
import { parseTrafficCsv } from '../../src/data/traffic-csv';
import type { TrafficRow } from '../../src/contracts/domain';
import type { FeatureProfile, ReferenceProfile } from '../../src/monitoring/reference-profile';

/** One synthetic year at a 6-hour step (about 1,460 rows), as a champion's training year or a new data file. */
export function syntheticYear(year: number, seed: number): TrafficRow[] {
  return parseTrafficCsv({ text: generateYear({ year, seed, hoursStep: 6 }), file: `synthetic_${year}.csv` })
    .rows;
}

/** The profile as stored before per-month shares were recorded. */
export function withoutMonths(profile: ReferenceProfile): ReferenceProfile {
  return {
    ...profile,
    features: profile.features.map((f): FeatureProfile => {
      const copy = { ...f };
      delete copy.byMonth;
      return copy;
    }),
  };
}
