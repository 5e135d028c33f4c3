import path from 'node:path';
import { Piscina } from 'piscina';
import type { ChartRenderer } from './render-svg';

export interface ChartPool {
  /** Renders on a pool thread; several calls at once render side by side. */
  render: ChartRenderer;
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
    // loading when it starts are loaded by the first report.
    atomics: 'disabled',
    // Threads keep their loaded chart libraries; never retire idle ones.
    idleTimeout: Number.MAX_SAFE_INTEGER,
  });
  return {
    render: (spec) => pool.run(spec) as Promise<string>,
    close: () => pool.close(),
  };
}
