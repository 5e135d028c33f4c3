/**
 * The refresh policy's record (issue 16 part 8e): each labelled row is predicted by the newest refit made before
 * its month began (what refitting every check serves, one month ahead) and by the newest model made before its
 * year began (what keeping a model all year serves). Neither was fitted on the row. When the refits win on these
 * rows by the evidence rule, refitting pays, and the check promotes its newest refit instead of waiting a month
 * for rows after it (bench:decisions: `refresh-record`).
 */

/** A registered model as the record sees it: the latest `date_time` it was fitted on. */
export interface RecordModel {
  version: number;
  trainedThrough: string;
}

/** Rows (indices into the caller's rows) that one pair of models predicts in the record. */
export interface RecordPair {
  /** The newest model fitted before the row's month: the refit. */
  refit: number;
  /** The newest model fitted before the row's year (the year's model), else the first model of all. */
  yearModel: number;
  rows: number[];
}

/** The newest model fitted on rows strictly before `start` (by trainedThrough, then version). */
function newestBefore(models: readonly RecordModel[], start: string): RecordModel | undefined {
  let best: RecordModel | undefined;
  for (const m of models) {
    if (m.trainedThrough >= start) continue;
    if (
      !best ||
      m.trainedThrough > best.trainedThrough ||
      (m.trainedThrough === best.trainedThrough && m.version > best.version)
    )
      best = m;
  }
  return best;
}

/**
 * Assigns every row (`dateTime` 'YYYY-MM-DD HH:MM:SS') its refit and year's model. When no model was made before
 * the row's year (the loop started within it), the first model made stands for the year's model: the one that a
 * loop never refitting would still serve. A row is left out when no model was made before its month, or when one
 * model plays both roles (nothing refitted since: no evidence).
 */
export function refreshRecordPairs(
  models: readonly RecordModel[],
  rows: readonly { dateTime: string }[],
): RecordPair[] {
  const pairs = new Map<string, RecordPair>();
  const first = models.reduce<RecordModel | undefined>(
    (a, m) =>
      !a ||
      m.trainedThrough < a.trainedThrough ||
      (m.trainedThrough === a.trainedThrough && m.version < a.version)
        ? m
        : a,
    undefined,
  );
  const byMonth = new Map<string, { refit?: RecordModel; yearModel?: RecordModel }>();
  rows.forEach((row, i) => {
    const month = row.dateTime.slice(0, 7);
    let chosen = byMonth.get(month);
    if (!chosen) {
      chosen = {
        refit: newestBefore(models, `${month}-01 00:00:00`),
        yearModel: newestBefore(models, `${month.slice(0, 4)}-01-01 00:00:00`) ?? first,
      };
      byMonth.set(month, chosen);
    }
    const { refit, yearModel } = chosen;
    if (!refit || !yearModel || refit.version === yearModel.version) return;
    const key = `${refit.version}/${yearModel.version}`;
    let pair = pairs.get(key);
    if (!pair) {
      pair = { refit: refit.version, yearModel: yearModel.version, rows: [] };
      pairs.set(key, pair);
    }
    pair.rows.push(i);
  });
  return [...pairs.values()];
}
