/**
 * A Temporal worker process for the benchmark, forked by scripts/bench/search.ts: createWorkers() with the
 * options in $BENCH_WORKER_OPTIONS, then IPC: sends {type:'ready'} once polling, stops on {type:'stop'}
 * (sending {type:'stopped'} with its peak RSS), and stops by itself when the parent goes away.
 */
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { AppConfig } from '../../src/config';
import { createWorkers } from '../../src/runtime/workers';

export interface BenchWorkerOptions {
  config: AppConfig;
  trainingThreads: number;
  /** Poll the main queue too (workflows, prepare, register); trials are always served. */
  serveMain: boolean;
}

export type BenchWorkerMessage =
  | { type: 'ready'; pid: number; startupMs: number }
  | { type: 'stopped'; maxRssMb: number }
  | { type: 'failed'; error: string };

function send(message: BenchWorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** Warnings and errors, except the expected one of a trials-only worker (it serves no workflows). */
function log(entry: LogEntry): void {
  if (entry.message.startsWith('No workflows registered')) return;
  const meta = entry.meta && Object.keys(entry.meta).length > 0 ? ` ${JSON.stringify(entry.meta)}` : '';
  process.stderr.write(`[${entry.level}] ${entry.message}${meta}\n`);
}

async function main(): Promise<void> {
  const started = performance.now();
  Runtime.install({ logger: new DefaultLogger('WARN', log) });
  const options = JSON.parse(process.env.BENCH_WORKER_OPTIONS ?? '') as BenchWorkerOptions;
  const running = await createWorkers({
    config: options.config,
    trainingThreads: options.trainingThreads,
    nthreadPerTrial: 1,
    serveMain: options.serveMain,
    serveTrials: true,
  });
  const done = running.run();
  const stop = (): void => running.shutdown();
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'stop') stop();
  });
  // The parent died or closed the channel: stop polling, and do not linger.
  process.on('disconnect', () => {
    stop();
    setTimeout(() => process.exit(1), 15_000).unref();
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Ready once the report's chart threads have warmed up too, so their start-up CPU is not counted in the search.
  await running.chartsReady();
  await send({ type: 'ready', pid: process.pid, startupMs: performance.now() - started });
  await done;
  await send({ type: 'stopped', maxRssMb: process.resourceUsage().maxRSS / 1024 });
  process.exit(0);
}

main().catch(async (err: unknown) => {
  await send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
