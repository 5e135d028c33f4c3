/**
 * The daily retraining check as a Temporal Schedule: one function per operation (as in the samples'
 * `schedules` project), plus the `schedule …` CLI commands.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type CalendarSpecDescription,
  type Client,
  type Range,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptions,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { Command, InvalidArgumentError } from 'commander';
import type { AppConfig } from '../config';
import { withSearchAttributeFallback } from '../runtime/search-attribute-fallback';
import { MODEL_NAME, RUN_TRIGGER } from '../workflows/search-attributes';
import type { RetrainCheckInput } from '../workflows/types';
import { addRetrainOptions, type RetrainFlags } from './retrain-options';

export const RETRAIN_WORKFLOW_TYPE = 'retrainCheckWorkflow';
export const DEFAULT_SCHEDULE_ID = 'traffic-retrain-daily';
export const DEFAULT_CRON = '0 3 * * *';
export const DEFAULT_TIMEZONE = 'UTC';
export const DEFAULT_CATCHUP_WINDOW = '1 day';

/** The schedule appends the action's timestamp, e.g. `retrain-check-traffic-retrain-daily-2024-05-01T03:00:00Z`. */
export function retrainWorkflowId(scheduleId: string): string {
  return `retrain-check-${scheduleId}`;
}

interface ScheduleTarget {
  client: Client;
  scheduleId: string;
}

export interface CreateRetrainScheduleOptions extends ScheduleTarget {
  taskQueue: string;
  /** The queue the checks' trainings send trials to. */
  trialTaskQueue: string;
  input: RetrainCheckInput;
  cron?: string;
  timezone?: string;
  catchupWindow?: Duration;
  pauseOnFailure?: boolean;
  /** On create: default false. On update: default keeps the current state. */
  paused?: boolean;
  note?: string;
  /** When the schedule exists: replace its spec, action and policies instead of leaving it alone. */
  update?: boolean;
}

export interface CreateRetrainScheduleResult {
  scheduleId: string;
  created: boolean;
  updated: boolean;
}

function scheduleDefinition(
  o: CreateRetrainScheduleOptions,
  withSearchAttributes = true,
): Omit<ScheduleOptions, 'state'> {
  const cron = o.cron ?? DEFAULT_CRON;
  const timezone = o.timezone ?? DEFAULT_TIMEZONE;
  const input: RetrainCheckInput = { ...o.input, trigger: 'schedule' };
  return {
    scheduleId: o.scheduleId,
    spec: { cronExpressions: [cron], timezone },
    action: {
      type: 'startWorkflow',
      workflowType: RETRAIN_WORKFLOW_TYPE,
      workflowId: retrainWorkflowId(o.scheduleId),
      taskQueue: o.taskQueue,
      args: [{ ...input, trialTaskQueue: o.trialTaskQueue }],
      memo: {
        dataUri: input.dataUri,
        filePrefix: input.filePrefix,
        trigger: 'schedule',
        scheduleId: o.scheduleId,
      },
      typedSearchAttributes: withSearchAttributes
        ? [
            { key: RUN_TRIGGER, value: 'schedule' },
            { key: MODEL_NAME, value: input.training.modelName },
          ]
        : undefined,
    },
    policies: {
      // A check still running when the next one is due is not doubled up (Mage's skip_if_previous_running).
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: o.catchupWindow ?? DEFAULT_CATCHUP_WINDOW,
      pauseOnFailure: o.pauseOnFailure ?? false,
    },
    // Set at creation only: a schedule update cannot change its memo. describe() reads the spec, not this.
    memo: { modelName: input.training.modelName, dataUri: input.dataUri, policy: input.policy },
  };
}

/** Idempotent: an existing schedule is left as it is unless `update` is set. */
export async function createRetrainSchedule(
  o: CreateRetrainScheduleOptions,
): Promise<CreateRetrainScheduleResult> {
  let definition = scheduleDefinition(o);
  try {
    await withSearchAttributeFallback(o.client.options.namespace, async (withSearchAttributes) => {
      definition = scheduleDefinition(o, withSearchAttributes);
      await o.client.schedule.create({ ...definition, state: { paused: o.paused ?? false, note: o.note } });
    });
    return { scheduleId: o.scheduleId, created: true, updated: false };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  if (!o.update) return { scheduleId: o.scheduleId, created: false, updated: false };
  await o.client.schedule.getHandle(o.scheduleId).update((previous) => ({
    spec: definition.spec,
    action: definition.action,
    policies: definition.policies,
    state: { paused: o.paused ?? previous.state.paused, note: o.note ?? previous.state.note },
  }));
  return { scheduleId: o.scheduleId, created: false, updated: true };
}

/** Runs one handle operation, turning the SDK's not-found error into one that says what to do. */
async function withSchedule<T>(t: ScheduleTarget, op: (handle: ScheduleHandle) => Promise<T>): Promise<T> {
  try {
    return await op(t.client.schedule.getHandle(t.scheduleId));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) {
      throw new ScheduleNotFoundError(
        `schedule "${t.scheduleId}" not found in namespace "${t.client.options.namespace}"; create it with \`schedule create\``,
        t.scheduleId,
      );
    }
    throw err;
  }
}

export interface RecentAction {
  scheduledAt: string;
  takenAt: string;
  workflowId: string;
  runId: string;
}

/** What `schedule describe` shows; plain JSON. */
export interface RetrainScheduleView {
  scheduleId: string;
  paused: boolean;
  note?: string;
  cron: string[];
  timezone: string;
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  modelName?: string;
  overlap: string;
  catchupWindowMs: number;
  pauseOnFailure: boolean;
  nextActionTimes: string[];
  /** Oldest first. */
  recentActions: RecentAction[];
  runningWorkflowIds: string[];
  actionsTaken: number;
  skippedOverlap: number;
  missedCatchupWindow: number;
  createdAt: string;
  lastUpdatedAt?: string;
}

const MONTH_NUMBER: Record<string, number> = Object.fromEntries(
  [
    'JANUARY',
    'FEBRUARY',
    'MARCH',
    'APRIL',
    'MAY',
    'JUNE',
    'JULY',
    'AUGUST',
    'SEPTEMBER',
    'OCTOBER',
    'NOVEMBER',
    'DECEMBER',
  ].map((m, i) => [m, i + 1]),
);
const DAY_NUMBER: Record<string, number> = Object.fromEntries(
  ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'].map((d, i) => [d, i]),
);

function cronField<U>(ranges: Range<U>[], toNumber: (u: U) => number, full: [number, number]): string {
  if (ranges.length === 0) return '*';
  const parts = ranges.map((r) => {
    const start = toNumber(r.start);
    const end = Math.max(toNumber(r.end), start);
    const step = r.step > 1 ? `/${r.step}` : '';
    if (start === full[0] && end === full[1]) return `*${step}`;
    return start === end ? String(start) : `${start}-${end}${step}`;
  });
  return parts.join(',');
}

/** The server keeps a cron expression as calendars; this turns one back into cron text for display. */
export function calendarToCron(c: CalendarSpecDescription): string {
  const id = (n: number) => n;
  const fields = [
    cronField(c.minute, id, [0, 59]),
    cronField(c.hour, id, [0, 23]),
    cronField(c.dayOfMonth, id, [1, 31]),
    cronField(c.month, (m) => MONTH_NUMBER[m], [1, 12]),
    cronField(c.dayOfWeek, (d) => DAY_NUMBER[d], [0, 6]),
  ];
  const seconds = cronField(c.second, id, [0, 59]);
  return seconds === '0' ? fields.join(' ') : [seconds, ...fields].join(' ');
}

function toView(d: ScheduleDescription): RetrainScheduleView {
  const attributes = d.action.typedSearchAttributes;
  const modelName = Array.isArray(attributes)
    ? attributes.find((p) => p.key.name === MODEL_NAME.name)?.value
    : attributes?.get(MODEL_NAME);
  return {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note || undefined,
    cron: (d.spec.calendars ?? []).map(calendarToCron),
    timezone: d.spec.timezone || 'UTC',
    workflowType: d.action.workflowType,
    workflowId: d.action.workflowId ?? '',
    taskQueue: d.action.taskQueue ?? '',
    modelName: typeof modelName === 'string' ? modelName : undefined,
    overlap: d.policies.overlap ?? ScheduleOverlapPolicy.SKIP,
    catchupWindowMs: d.policies.catchupWindow,
    pauseOnFailure: d.policies.pauseOnFailure,
    nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentActions: d.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      takenAt: a.takenAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
      runId: a.action.workflow.firstExecutionRunId,
    })),
    runningWorkflowIds: d.info.runningActions.map((a) => a.workflow.workflowId),
    actionsTaken: d.info.numActionsTaken,
    skippedOverlap: d.info.numActionsSkippedOverlap,
    missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
    createdAt: d.info.createdAt.toISOString(),
    lastUpdatedAt: d.info.lastUpdatedAt?.toISOString(),
  };
}

export async function describeRetrainSchedule(t: ScheduleTarget): Promise<RetrainScheduleView> {
  return toView(await withSchedule(t, (h) => h.describe()));
}

function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

export function formatRetrainSchedule(v: RetrainScheduleView, limit = 5): string {
  const lines = [
    `schedule ${v.scheduleId}: ${v.paused ? 'PAUSED' : 'active'}${v.note ? ` (${v.note})` : ''}`,
    `  when:     ${v.cron.join('; ') || '(no calendar)'} ${v.timezone}`,
    `  action:   ${v.workflowType} on ${v.taskQueue}, ids ${v.workflowId}-<time>${v.modelName ? `, model ${v.modelName}` : ''}`,
    `  policies: overlap ${v.overlap}, catch-up window ${formatDuration(v.catchupWindowMs)}, pause on failure ${v.pauseOnFailure ? 'yes' : 'no'}`,
    `  counts:   ${v.actionsTaken} taken, ${v.skippedOverlap} skipped (overlap), ${v.missedCatchupWindow} missed (catch-up window)`,
    `  next:     ${v.nextActionTimes.slice(0, limit).join(', ') || (v.paused ? '(paused)' : 'none')}`,
  ];
  if (v.runningWorkflowIds.length > 0) lines.push(`  running:  ${v.runningWorkflowIds.join(', ')}`);
  if (v.recentActions.length === 0) lines.push('  recent:   none');
  else {
    lines.push('  recent:');
    for (const a of v.recentActions.slice(-limit).reverse()) lines.push(`    ${a.takenAt}  ${a.workflowId}`);
  }
  return lines.join('\n');
}

export async function pauseRetrainSchedule(t: ScheduleTarget & { note?: string }): Promise<void> {
  await withSchedule(t, (h) => h.pause(t.note));
}

export async function unpauseRetrainSchedule(t: ScheduleTarget & { note?: string }): Promise<void> {
  await withSchedule(t, (h) => h.unpause(t.note));
}

/** Runs a check now. trigger() defaults to ALLOW_ALL; SKIP keeps the one-check-at-a-time rule. */
export async function triggerRetrainSchedule(t: ScheduleTarget): Promise<void> {
  await withSchedule(t, (h) => h.trigger(ScheduleOverlapPolicy.SKIP));
}

export interface BackfillRetrainScheduleOptions extends ScheduleTarget {
  start: Date;
  end: Date;
  /**
   * Every check reads the data as it is now, so backfilled checks would repeat each other: SKIP starts the
   * first and skips the rest while it runs. ALLOW_ALL or BUFFER_ALL run them all.
   */
  overlap?: ScheduleOverlapPolicy;
}

export async function backfillRetrainSchedule(o: BackfillRetrainScheduleOptions): Promise<void> {
  if (!(o.start.getTime() < o.end.getTime())) {
    throw new Error(`backfill start ${o.start.toISOString()} must be before its end ${o.end.toISOString()}`);
  }
  await withSchedule(o, (h) =>
    h.backfill({ start: o.start, end: o.end, overlap: o.overlap ?? ScheduleOverlapPolicy.SKIP }),
  );
}

export async function deleteRetrainSchedule(t: ScheduleTarget): Promise<void> {
  await withSchedule(t, (h) => h.delete());
}

// ---- CLI ----

export interface ScheduleCommandDeps {
  getClient(): Promise<{ client: Client; config: AppConfig }>;
  buildInput(flags: ScheduleCreateFlags, config: AppConfig): RetrainCheckInput;
}

interface CommonFlags {
  scheduleId: string;
  json?: boolean;
}

/** `schedule create` flags: the training flags (without years) plus the schedule's own; other flags pass through. */
export type ScheduleCreateFlags = RetrainFlags &
  CommonFlags & {
    cron: string;
    timezone: string;
    catchupWindow: string;
    pauseOnFailure?: boolean;
    paused?: boolean;
    note?: string;
    update?: boolean;
    [flag: string]: unknown;
  };

function parseCron(value: string): string {
  const fields = value.trim().split(/\s+/);
  if (value.trim().startsWith('@') || (fields.length >= 5 && fields.length <= 7)) return value.trim();
  throw new InvalidArgumentError(
    `"${value}" is not a cron expression such as "0 3 * * *" (5 to 7 fields or @daily)`,
  );
}

function parseDuration(value: string): string {
  try {
    msToNumber(value as Duration);
    return value;
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a duration such as "1 day", "12h" or "30m"`);
  }
}

export function parseIsoDate(value: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
  // JS reads a bare date as UTC but a bare date-time as local time; read both as UTC.
  const zoned =
    /T|\s/.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  const date = new Date(zoned);
  // Date rolls 2024-02-30 over to March 1st; a calendar date that does not exist is a typo.
  const [y, m, d] = value.slice(0, 10).split('-').map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  if (
    !iso.test(value) ||
    Number.isNaN(date.getTime()) ||
    day.getUTCMonth() !== m - 1 ||
    day.getUTCDate() !== d
  ) {
    throw new InvalidArgumentError(
      `"${value}" is not an ISO date such as 2024-05-01 or 2024-05-01T03:00:00Z`,
    );
  }
  return date;
}

function print(json: boolean | undefined, data: unknown, text: string): void {
  console.log(json ? JSON.stringify(data, null, 2) : text);
}

export function addScheduleCommands(program: Command, deps: ScheduleCommandDeps): Command {
  const schedule = program
    .command('schedule')
    .description('the recurring retraining check (a Temporal Schedule)');
  const sub = (name: string, description: string) =>
    schedule
      .command(name)
      .description(description)
      .option('--schedule-id <id>', 'schedule id', DEFAULT_SCHEDULE_ID)
      .option('--json', 'print machine-readable JSON');
  const target = async (flags: CommonFlags) => ({
    client: (await deps.getClient()).client,
    scheduleId: flags.scheduleId,
  });

  addRetrainOptions(sub('create', 'create the schedule (no-op if it exists, unless --update)'))
    .option('--cron <expr>', 'when to run the check', parseCron, DEFAULT_CRON)
    .option('--timezone <tz>', 'IANA time zone of the cron expression', DEFAULT_TIMEZONE)
    .option(
      '--catchup-window <duration>',
      'run missed checks at most this late after an outage',
      parseDuration,
      DEFAULT_CATCHUP_WINDOW,
    )
    .option('--pause-on-failure', 'pause the schedule when a check fails')
    .option('--paused', 'create it paused')
    .option('--note <text>', 'note shown with the schedule state')
    .option('--update', 'replace the spec, action and policies of an existing schedule')
    .action(async (flags: ScheduleCreateFlags) => {
      const { client, config } = await deps.getClient();
      const result = await createRetrainSchedule({
        client,
        scheduleId: flags.scheduleId,
        taskQueue: config.taskQueue,
        trialTaskQueue: config.trialTaskQueue,
        input: deps.buildInput(flags, config),
        cron: flags.cron,
        timezone: flags.timezone,
        catchupWindow: flags.catchupWindow as Duration,
        pauseOnFailure: flags.pauseOnFailure === true,
        paused: flags.paused,
        note: flags.note,
        update: flags.update === true,
      });
      const text = result.created
        ? `created schedule ${result.scheduleId}`
        : result.updated
          ? `updated schedule ${result.scheduleId}`
          : `schedule ${result.scheduleId} already exists; left unchanged (use --update to replace it)`;
      print(flags.json, result, text);
    });

  sub('describe', 'state, next runs and recent runs').action(async (flags: CommonFlags) => {
    const view = await describeRetrainSchedule(await target(flags));
    print(flags.json, view, formatRetrainSchedule(view));
  });

  sub('pause', 'stop taking scheduled actions')
    .option('--note <text>', 'why it is paused')
    .action(async (flags: CommonFlags & { note?: string }) => {
      await pauseRetrainSchedule({ ...(await target(flags)), note: flags.note });
      print(flags.json, { scheduleId: flags.scheduleId, paused: true }, `paused ${flags.scheduleId}`);
    });

  sub('unpause', 'resume taking scheduled actions')
    .option('--note <text>', 'note for the resumed state')
    .action(async (flags: CommonFlags & { note?: string }) => {
      await unpauseRetrainSchedule({ ...(await target(flags)), note: flags.note });
      print(flags.json, { scheduleId: flags.scheduleId, paused: false }, `unpaused ${flags.scheduleId}`);
    });

  sub('trigger', 'run a check now (skipped if one is running)').action(async (flags: CommonFlags) => {
    await triggerRetrainSchedule(await target(flags));
    print(
      flags.json,
      { scheduleId: flags.scheduleId, triggered: true },
      `triggered ${flags.scheduleId}; see \`schedule describe\``,
    );
  });

  sub('backfill', 'take the actions the schedule would have taken between two times')
    .requiredOption(
      '--start <date>',
      'ISO date or time (UTC unless an offset is given), e.g. 2024-05-01',
      parseIsoDate,
    )
    .requiredOption(
      '--end <date>',
      'ISO date or time (UTC unless an offset is given), e.g. 2024-05-08',
      parseIsoDate,
    )
    .action(async (flags: CommonFlags & { start: Date; end: Date }) => {
      await backfillRetrainSchedule({ ...(await target(flags)), start: flags.start, end: flags.end });
      const range = { start: flags.start.toISOString(), end: flags.end.toISOString() };
      print(
        flags.json,
        { scheduleId: flags.scheduleId, backfill: range },
        `backfilled ${flags.scheduleId} from ${range.start} to ${range.end}`,
      );
    });

  sub('delete', 'delete the schedule (runs it started are not affected)').action(
    async (flags: CommonFlags) => {
      await deleteRetrainSchedule(await target(flags));
      print(flags.json, { scheduleId: flags.scheduleId, deleted: true }, `deleted ${flags.scheduleId}`);
    },
  );
  return schedule;
}
