import path from 'node:path';
import { Piscina } from 'piscina';
import type { ChartRenderer } from './render-svg';
import type { ChartThreadReady } from './chart-thread';

export interface ChartPool {
  /** Renders on a pool thread; several calls at once render side by side. */
  render: ChartRenderer;
  /** Resolves when every thread has loaded its chart libraries and rendered its warm-up charts. */
  ready(): Promise<ChartThreadReady[]>;
  close(): Promise<void>;
}

/**
 * Threads that render the run report's charts: side by side rather than one after another, and off the
 * worker's main thread, whose event loop keeps polling and heartbeating meanwhile (Vega takes about half a
 * second for a report's charts).
 */
export function createChartPool({ threads }: { threads: number }): ChartPool {
  const pool = new Piscina({
    filename: path.resolve(__dirname, 'chart-thread.js'),
    minThreads: threads,
    maxThreads: threads,
    // An idle thread runs its event loop (the default Atomics wait would block it), so the libraries it starts
    // loading and warming up when it starts are ready by the first report.
    atomics: 'disabled',
    // Threads keep their loaded chart libraries; never retire idle ones.
    idleTimeout: Number.MAX_SAFE_INTEGER,
  });
  return {
    render: (spec) => pool.run(spec) as Promise<string>,
    // One waiting task per thread: a thread runs one task at a time, so each lands on a thread of its own.
    ready: () =>
      Promise.all(
        Array.from(
          { length: threads },
          () => pool.run(undefined, { name: 'readyTask' }) as Promise<ChartThreadReady>,
        ),
      ),
    close: () => pool.close(),
  };
}
