/**
 * The project's logger (pino): diagnostics on stderr, as `level: message key=value` lines, or pino's JSON
 * lines with LOG_FORMAT=json. Results and progress are output, not logs: they go to stdout (`progress`).
 *
 * The level comes from LOG_LEVEL (default info); `--quiet` and `--verbose` set it through configureLogging,
 * which also exports it to LOG_LEVEL so that worker threads started later log at the same level.
 */
import pino from 'pino';

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const VERBOSITY_LEVEL: Record<Verbosity, LogLevel> = { quiet: 'warn', normal: 'info', verbose: 'debug' };

function levelFromEnv(): LogLevel {
  const level = process.env.LOG_LEVEL?.trim().toLowerCase();
  // An invalid value is reported by loadConfig, which names the variable; the logger must still work.
  return (LOG_LEVELS as readonly string[]).includes(level ?? '') ? (level as LogLevel) : 'info';
}

function formatField(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** pino's JSON line turned back into one readable line. */
function humanLine(json: string): string {
  const { level, msg, err, ...fields } = JSON.parse(json) as Record<string, unknown>;
  const label = pino.levels.labels[Number(level)] ?? String(level);
  const extra = Object.entries(fields).map(([k, v]) => `${k}=${formatField(v)}`);
  const error = err && typeof err === 'object' && 'message' in err ? ` (${String(err.message)})` : '';
  return `${label}: ${String(msg ?? '')}${error}${extra.length > 0 ? ` ${extra.join(' ')}` : ''}\n`;
}

const json = process.env.LOG_FORMAT?.trim().toLowerCase() === 'json';

export const logger = pino(
  { level: levelFromEnv(), base: json ? { pid: process.pid } : undefined, timestamp: json },
  json
    ? pino.destination({ dest: 2, sync: true })
    : { write: (line: string) => void process.stderr.write(humanLine(line)) },
);

let quiet = false;

/** Applies `--quiet` / `--verbose` (the caller rejects both at once). */
export function configureLogging(verbosity: Verbosity): void {
  quiet = verbosity === 'quiet';
  const level = verbosity === 'normal' ? levelFromEnv() : VERBOSITY_LEVEL[verbosity];
  logger.level = level;
  process.env.LOG_LEVEL = level;
}

export function verbosityOf(flags: { quiet?: boolean; verbose?: boolean }): Verbosity {
  return flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal';
}

/** A progress line for the user on stdout; `--quiet` leaves only results and errors. */
export function progress(line: string): void {
  if (!quiet) process.stdout.write(`${line}\n`);
}
