import { DefaultLogger, Runtime, type LogEntry, type RuntimeOptions } from '@temporalio/worker';
import type { LogLevel as SdkLogLevel } from '@temporalio/common';
import { logger } from '../common/logger';

const sdkLog = logger.child({ component: 'temporal' });

/** The SDK's INFO lines (worker state changes, polling) are routine: shown with --verbose only. */
function sdkLevel(): SdkLogLevel {
  switch (logger.level) {
    case 'trace':
      return 'TRACE';
    case 'debug':
      return 'DEBUG';
    case 'error':
    case 'fatal':
    case 'silent':
      return 'ERROR';
    default:
      return 'WARN';
  }
}

/** Expected by design: the trial queue's worker has activities only. */
const ROUTINE = new Set(['No workflows registered, not polling for workflow tasks']);

function forward(entry: LogEntry): void {
  const meta = entry.meta ?? {};
  switch (ROUTINE.has(entry.message) ? 'DEBUG' : entry.level) {
    case 'TRACE':
      return sdkLog.trace(meta, entry.message);
    case 'DEBUG':
      return sdkLog.debug(meta, entry.message);
    case 'INFO':
      return sdkLog.info(meta, entry.message);
    case 'WARN':
      return sdkLog.warn(meta, entry.message);
    default:
      return sdkLog.error(meta, entry.message);
  }
}

/**
 * Installs the Temporal runtime once per worker process with the SDK's logs (and the Rust core's, which it
 * forwards) going through the project's logger; call after configureLogging. `options` adds e.g. telemetry.
 */
export function installTemporalRuntime(options: Omit<RuntimeOptions, 'logger'> = {}): Runtime {
  return Runtime.install({ ...options, logger: new DefaultLogger(sdkLevel(), forward) });
}
