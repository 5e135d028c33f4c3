/** A chart pool thread (src/report/chart-pool.ts): renders chart specs to SVG off the worker's main thread. */
import { threadId } from 'node:worker_threads';
import type { ChartSpec } from './charts';
import { WARM_UP_PASSES, warmUpCharts } from './chart-warm-up';
import { loadChartLibraries, renderSvg } from './render-svg';

/** What a thread did before its first report (its readyTask's result). */
export interface ChartThreadReady {
  threadId: number;
  /** Warm-up charts rendered (none when the libraries failed to load: the first render tries again). */
  warmUpCharts: number;
}

// Load the libraries and warm them up when the thread starts.
const warm: Promise<ChartThreadReady> = (async () => {
  let rendered = 0;
  try {
    await loadChartLibraries();
    for (let pass = 0; pass < WARM_UP_PASSES; pass++)
      for (const { spec } of warmUpCharts()) {
        await renderSvg(spec);
        rendered++;
      }
  } catch {
    // Not fatal: a report's own charts load the libraries again, and report a failure there.
  }
  return { threadId, warmUpCharts: rendered };
})();

export default function renderChartTask(spec: ChartSpec): Promise<string> {
  return renderSvg(spec);
}

/** Named task (see ChartPool.ready): resolves when this thread has loaded and warmed up its libraries. */
export function readyTask(): Promise<ChartThreadReady> {
  return warm;
}
