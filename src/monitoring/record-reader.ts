import type { BlobStore } from '../storage/blob-store';
import { dayOfRecordKey, monitoringKeys } from './monitoring-keys';
import { MONITORING_RECORD_VERSION, type MonitoringRecord } from './monitoring-record';

/** The stored records of a model, oldest first; `last` keeps the newest N days that have a record. */
export async function readMonitoringRecords(
  store: BlobStore,
  modelName: string,
  options: { last?: number; from?: string; to?: string } = {},
): Promise<MonitoringRecord[]> {
  let keys = (await store.list(monitoringKeys.dayRecordPrefix(modelName)))
    .map((info) => ({ key: info.key, day: dayOfRecordKey(modelName, info.key) }))
    .filter((k): k is { key: string; day: string } => k.day !== undefined)
    .filter((k) => (!options.from || k.day >= options.from) && (!options.to || k.day <= options.to))
    .sort((a, b) => (a.day < b.day ? -1 : 1));
  if (options.last !== undefined) keys = keys.slice(-options.last);
  const records: MonitoringRecord[] = [];
  for (const { key } of keys) {
    const json = JSON.parse((await store.get(key)).toString('utf8')) as Partial<MonitoringRecord>;
    if (json.kind !== 'traffic-monitoring-record' || json.version !== MONITORING_RECORD_VERSION) {
      throw new Error(`${key}: not a monitoring record of version ${MONITORING_RECORD_VERSION}`);
    }
    records.push(json as MonitoringRecord);
  }
  return records;
}
