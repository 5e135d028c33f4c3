/**
 * What happens to the bucket on each day of the simulated year, which faults are injected, and the decision
 * the daily check must answer each day. The current year is 2015: its file grows by a month every 30 days.
 */
export const DAYS = 365;
const CURRENT_YEAR = 2015;

export type DayEvent = { label: string } & (
  | { kind: 'initial'; fullYears: number[]; currentYear: number; throughMonth: number }
  | { kind: 'append'; year: number; throughMonth: number; driftedMonth?: number }
  | { kind: 'new-year'; year: number; throughMonth?: number }
  | { kind: 'same-bytes-new-etag'; year: number }
  | { kind: 'broken-header'; year: number }
  | { kind: 'bad-rows'; year: number; every: number }
  | { kind: 'restore'; year: number }
);

export type Fault = 'two-checks-at-once' | 'store-outage-at-commit' | 'kill-worker-mid-training';

/** Month m of the current year is appended on day 30·(m − 1) + 3 (February on day 33 … December on day 333). */
const appendDay = (month: number) => 30 * (month - 1) + 3;
const DRIFTED_MONTH = 12;
const NEXT_YEAR_DAY = 363;

const events = new Map<number, DayEvent>([
  [
    1,
    {
      kind: 'initial',
      fullYears: [2012, 2013, 2014],
      currentYear: CURRENT_YEAR,
      throughMonth: 1,
      label: '2012–2014 and January 2015 uploaded',
    },
  ],
  [50, { kind: 'same-bytes-new-etag', year: 2013, label: '2013 re-uploaded: same bytes, new ETag' }],
  [120, { kind: 'new-year', year: 2011, label: '2011 back-filled (new year file)' }],
  [140, { kind: 'broken-header', year: 2010, label: '2010 uploaded with a broken header' }],
  [142, { kind: 'new-year', year: 2010, label: '2010 header fixed' }],
  [170, { kind: 'bad-rows', year: 2012, every: 20, label: '2012 replaced: 5 % malformed rows (limit 1 %)' }],
  [172, { kind: 'restore', year: 2012, label: '2012 restored to its committed bytes' }],
  [
    NEXT_YEAR_DAY,
    { kind: 'new-year', year: CURRENT_YEAR + 1, throughMonth: 1, label: 'January 2016: a new year file' },
  ],
]);
for (let month = 2; month <= 12; month++) {
  const drifted = month === DRIFTED_MONTH;
  events.set(appendDay(month), {
    kind: 'append',
    year: CURRENT_YEAR,
    throughMonth: month,
    ...(drifted ? { driftedMonth: month } : {}),
    label: drifted
      ? `${monthName(month)} appended, drifted (dust storms, summer heat)`
      : `${monthName(month)} appended`,
  });
}

export function planFor(day: number): DayEvent | undefined {
  return events.get(day);
}

export const PLAN = {
  faults: {
    [appendDay(4)]: 'two-checks-at-once',
    [appendDay(8)]: 'store-outage-at-commit',
    [appendDay(9)]: 'kill-worker-mid-training',
  } as Record<number, Fault>,
  /** Days on which the newest file holds the drifted month: the only days a drift-triggered run may start. */
  driftDays: range(appendDay(DRIFTED_MONTH), NEXT_YEAR_DAY - 1),
};

/**
 * The decisions allowed each day, exactly. A failure names its type and, when an activity failed, which one:
 * `failed: <type> in <activity>`.
 */
export function expectedDecisions(): Map<number, string[]> {
  const expected = new Map<number, string[]>();
  for (let day = 1; day <= DAYS; day++) expected.set(day, ['no-new-data']);
  expected.set(1, ['new-data']);
  for (let month = 2; month <= 12; month++) expected.set(appendDay(month), ['changed-data']);
  // Two checks of one new state: one trains, the other finds the training running (or, if it looked later, committed).
  expected.set(appendDay(4), ['changed-data', 'already-training', 'no-new-data']);
  // The commit meets a paused store and the check fails. The next day either finds the completed training and
  // commits its state, or finds the state committed: the store had the commit's request in its socket buffer
  // and wrote it when it woke up (create-only, so only the first of the retried writes landed).
  // The store's error reaches the check as a plain Error raised by the commit activity.
  expected.set(appendDay(8), ['failed: Error in commitDataState']);
  expected.set(appendDay(8) + 1, ['changed-data', 'no-new-data']);
  expected.set(50, ['unchanged-training-data']);
  expected.set(120, ['new-data']);
  expected.set(140, ['failed: UnreadableDataFile']);
  expected.set(141, ['failed: UnreadableDataFile']);
  expected.set(142, ['new-data']);
  expected.set(170, ['failed: DatasetError in prepareDataset']);
  expected.set(171, ['failed: DatasetError in prepareDataset']);
  // Back to the committed bytes: nothing to do.
  expected.set(172, ['no-new-data']);
  expected.set(appendDay(DRIFTED_MONTH) + 1, ['drift']);
  for (let day = appendDay(DRIFTED_MONTH) + 2; day < NEXT_YEAR_DAY; day++)
    expected.set(day, ['already-retrained']);
  expected.set(NEXT_YEAR_DAY, ['new-data']);
  return expected;
}

/**
 * The year judged against the plan: days without any record, and days whose decisions are not all among the
 * allowed ones (a failure must name its exact type, and its activity when one failed).
 */
export function judgeYear(
  expected: ReadonlyMap<number, readonly string[]>,
  records: readonly { day: number; decision: string }[],
): { missing: number[]; mismatches: string[] } {
  const got = new Map<number, string[]>();
  for (const r of records) got.set(r.day, [...(got.get(r.day) ?? []), r.decision]);
  const missing = [...expected.keys()].filter((day) => !got.get(day)?.length);
  const mismatches = [...expected.entries()]
    .filter(([day, allowed]) => !(got.get(day) ?? []).every((d) => allowed.includes(d)))
    .map(
      ([day, allowed]) => `day ${day}: got ${got.get(day)?.join(' + ')}, expected ${allowed.join(' or ')}`,
    );
  return { missing, mismatches };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function monthName(month: number): string {
  return new Date(Date.UTC(2015, month - 1, 1)).toLocaleString('en-US', { month: 'long', timeZone: 'UTC' });
}
