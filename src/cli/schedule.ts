/** The `schedule …` commands: argument parsing and output; the operations are in src/scheduling/. */
import type { Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { Command, InvalidArgumentError } from 'commander';
import type { AppConfig } from '../config';
import type { RetrainCheckInput } from '../contracts';
import { addRetrainOptions, type RetrainFlags } from './retrain-options';
import {
  DEFAULT_CATCHUP_WINDOW,
  DEFAULT_CRON,
  DEFAULT_SCHEDULE_ID,
  DEFAULT_TIMEZONE,
} from '../scheduling/schedule-defaults';
import { formatRetrainSchedule } from './schedule-format';

// The Temporal client library loads only when a schedule command runs: `--help` and other commands stay fast.
const scheduling = () => import('../scheduling/retrain-schedule.js');

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
      const result = await (
        await scheduling()
      ).createRetrainSchedule({
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
    const view = await (await scheduling()).describeRetrainSchedule(await target(flags));
    print(flags.json, view, formatRetrainSchedule(view));
  });

  sub('pause', 'stop taking scheduled actions')
    .option('--note <text>', 'why it is paused')
    .action(async (flags: CommonFlags & { note?: string }) => {
      await (await scheduling()).pauseRetrainSchedule({ ...(await target(flags)), note: flags.note });
      print(flags.json, { scheduleId: flags.scheduleId, paused: true }, `paused ${flags.scheduleId}`);
    });

  sub('unpause', 'resume taking scheduled actions')
    .option('--note <text>', 'note for the resumed state')
    .action(async (flags: CommonFlags & { note?: string }) => {
      await (await scheduling()).unpauseRetrainSchedule({ ...(await target(flags)), note: flags.note });
      print(flags.json, { scheduleId: flags.scheduleId, paused: false }, `unpaused ${flags.scheduleId}`);
    });

  sub('trigger', 'run a check now (skipped if one is running)').action(async (flags: CommonFlags) => {
    await (await scheduling()).triggerRetrainSchedule(await target(flags));
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
      await (
        await scheduling()
      ).backfillRetrainSchedule({ ...(await target(flags)), start: flags.start, end: flags.end });
      const range = { start: flags.start.toISOString(), end: flags.end.toISOString() };
      print(
        flags.json,
        { scheduleId: flags.scheduleId, backfill: range },
        `backfilled ${flags.scheduleId} from ${range.start} to ${range.end}`,
      );
    });

  sub('delete', 'delete the schedule (runs it started are not affected)').action(
    async (flags: CommonFlags) => {
      await (await scheduling()).deleteRetrainSchedule(await target(flags));
      print(flags.json, { scheduleId: flags.scheduleId, deleted: true }, `deleted ${flags.scheduleId}`);
    },
  );
  return schedule;
}
