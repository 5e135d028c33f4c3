import { CHART_CONFIG, type ChartSpec } from './charts';

/** Renders one chart spec to an SVG string: here (renderSvg) or on a chart thread (src/report/chart-pool.ts). */
export type ChartRenderer = (spec: ChartSpec) => Promise<string>;

// vega and vega-lite are ES modules with top-level await: load them with import(), once.
type Vega = typeof import('vega', { with: { 'resolution-mode': 'import' } });
type VegaLite = typeof import('vega-lite', { with: { 'resolution-mode': 'import' } });
let libraries: Promise<[Vega, VegaLite]> | undefined;

/**
 * Loads the chart libraries once per process or thread (about 0.1 s). A thread that renders charts starts loading
 * them when it starts, so the first report does not wait for them.
 */
export function loadChartLibraries(): Promise<[Vega, VegaLite]> {
  libraries ??= Promise.all([import('vega'), import('vega-lite')]).catch((err: unknown) => {
    libraries = undefined; // the next report tries again
    throw err;
  });
  return libraries;
}

export const renderSvg: ChartRenderer = async (spec) => {
  const [vega, vegaLite] = await loadChartLibraries();
  // Quiet: vega-lite's warnings about merged scale sorts are expected for these layered charts.
  const logger = vega.logger(vega.None);
  const compiled = vegaLite.compile({ ...spec, config: CHART_CONFIG } as never, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.None });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
};

/**
 * Renames an SVG's ids (Vega's clip paths and gradients) to `<scope>-1`, `<scope>-2`, … in order of appearance.
 * Vega numbers them by a counter of the process or thread that rendered the chart, so charts rendered on
 * different threads can share ids, which inline in one page would point at each other's clip paths; renamed,
 * a page is also the same whichever thread rendered which chart.
 */
export function scopeSvgIds(svg: string, scope: string): string {
  const renamed = new Map<string, string>();
  for (const [, id] of svg.matchAll(/\sid="([^"]+)"/g)) {
    if (!renamed.has(id)) renamed.set(id, `${scope}-${renamed.size + 1}`);
  }
  if (renamed.size === 0) return svg;
  const rename = (id: string) => renamed.get(id) ?? id;
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_, head: string, id: string) => `${head}${rename(id)}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${rename(id)})`)
    .replace(/(\shref="#)([^"]+)"/g, (_, head: string, id: string) => `${head}${rename(id)}"`);
}
