/** A chart pool thread (src/report/chart-pool.ts): renders chart specs to SVG off the worker's main thread. */
import type { ChartSpec } from './charts';
import { loadChartLibraries, renderSvg } from './render-svg';

// Load the libraries when the thread starts; a failure here is retried by the first render.
loadChartLibraries().catch(() => undefined);

export default function renderChartTask(spec: ChartSpec): Promise<string> {
  return renderSvg(spec);
}
