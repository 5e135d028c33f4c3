/** Where monitoring records, training references and alert markers live in the artifact store. */
const root = (model: string) => `monitoring/${model}`;

export const monitoringKeys = {
  /** One record per model and day (`YYYY-MM-DD`): the source of truth the database and report are built from. */
  dayRecord: (model: string, day: string) => `${root(model)}/days/${day}.json`,
  dayRecordPrefix: (model: string) => `${root(model)}/days/`,
  trainingReference: (model: string, version: number) =>
    `${root(model)}/training-reference/${String(version).padStart(10, '0')}.json`,
  /** Created once per cause and day: whoever creates it sends the alert (alert-delivery.ts). */
  alertMarker: (model: string, day: string, cause: string) => `${root(model)}/alerts/${day}/${cause}.json`,
};

/** The day of a record key, or undefined for another key. */
export function dayOfRecordKey(model: string, key: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})\.json$/.exec(key.slice(monitoringKeys.dayRecordPrefix(model).length));
  return m ? m[1] : undefined;
}
