import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../contracts';
import type { MonitorBackfillInput, MonitorBackfillResult, MonitorDaysResult } from '../contracts/monitoring';

const { monitorDays } = proxyActivities<Activities>({
  startToCloseTimeout: '20 minutes',
  // Heartbeats come per file read and per day written: a killed worker's month moves on within a minute.
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['InvalidInput', 'DatasetError'],
  },
});

/** Every day from `from` to `to` inclusive, grouped by calendar month (one activity per month). */
export function monthsOfDays(from: string, to: string): string[][] {
  const months: string[][] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    const last = months[months.length - 1];
    if (last && last[0].slice(0, 7) === day.slice(0, 7)) last.push(day);
    else months.push([day]);
  }
  return months;
}

/**
 * `client monitor backfill`: the monitoring records of past days, month by month, from the data files and the
 * prediction log. Each month is one activity writing idempotent records, so a worker killed mid-way repeats at
 * most the month it was on, rewriting the same records and upserting the same rows.
 */
export async function monitorBackfillWorkflow(input: MonitorBackfillInput): Promise<MonitorBackfillResult> {
  const chunks = monthsOfDays(input.from, input.to);
  let records = 0;
  let days = 0;
  let last: MonitorDaysResult | undefined;
  for (const chunk of chunks) {
    const { from: _from, to: _to, ...rest } = input;
    last = await monitorDays({ ...rest, days: chunk, alertOnRecords: input.alertOnRecords ?? false });
    days += chunk.length;
    records += last.records.length;
  }
  return {
    days,
    records,
    chunks: chunks.length,
    ...(last?.championVersion !== undefined ? { championVersion: last.championVersion } : {}),
    database: last?.database ?? 'off',
  };
}
