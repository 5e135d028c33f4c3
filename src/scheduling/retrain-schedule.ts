/**
 * The daily retraining check as a Temporal Schedule: one function per operation (as in the samples'
 * `schedules` project) and the plain view `schedule describe` shows. The commands are in src/cli/schedule.ts.
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
import { withSearchAttributeFallback } from '../runtime/search-attribute-fallback';
import { MODEL_NAME, RUN_TRIGGER } from '../contracts/search-attributes';
import type { RetrainCheckInput } from '../contracts';
import {
  DEFAULT_CATCHUP_WINDOW,
  DEFAULT_CRON,
  DEFAULT_TIMEZONE,
  RETRAIN_WORKFLOW_TYPE,
} from './schedule-defaults';

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
