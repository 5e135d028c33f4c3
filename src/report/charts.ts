/** Vega-Lite specifications of the run report's charts (data inline; rendered to SVG by render-run-report.ts). */
import type { DriftReport } from '../monitoring/psi';
import { DAY_NAMES, MONTH_NAMES } from './report-data';

/** A Vega-Lite top-level spec; kept loose because the charts are plain JSON. */
export type ChartSpec = Record<string, unknown>;

const INK = '#1f2933';
const MUTED = '#7b8794';
const ACCENT = '#2563eb';
const WARM = '#dc2626';

/** Shared look: light grid, no chart border, the page's font. */
export const CHART_CONFIG = {
  font: 'Inter, "Segoe UI", system-ui, -apple-system, sans-serif',
  background: 'white',
  view: { stroke: null },
  axis: {
    labelColor: MUTED,
    titleColor: INK,
    titleFontWeight: 600,
    gridColor: '#eef0f3',
    domainColor: '#cbd2d9',
    tickColor: '#cbd2d9',
    labelFontSize: 11,
    titleFontSize: 12,
  },
  legend: { labelColor: MUTED, titleColor: INK, labelFontSize: 11, titleFontSize: 12 },
  header: { labelColor: INK, labelFontSize: 12, labelFontWeight: 600 },
};

export function convergenceChart(points: Array<{ trial: number; rmse: number; best: number }>): ChartSpec {
  return {
    width: 560,
    height: 240,
    data: { values: points },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 36, opacity: 0.45, color: MUTED },
        encoding: {
          x: { field: 'trial', type: 'quantitative', title: 'trial number' },
          y: { field: 'rmse', type: 'quantitative', title: 'validation RMSE', scale: { zero: false } },
          tooltip: [{ field: 'trial' }, { field: 'rmse', format: '.1f' }],
        },
      },
      {
        mark: { type: 'line', interpolate: 'step-after', color: ACCENT, strokeWidth: 2.5 },
        encoding: {
          x: { field: 'trial', type: 'quantitative' },
          y: { field: 'best', type: 'quantitative' },
        },
      },
    ],
  };
}

export function parameterChart(points: Array<{ param: string; value: number; rmse: number }>): ChartSpec {
  return {
    data: { values: points },
    facet: { field: 'param', type: 'nominal', title: null, header: { labelOrient: 'top' } },
    columns: 4,
    spec: {
      width: 170,
      height: 120,
      mark: { type: 'point', filled: true, size: 30, opacity: 0.6, color: ACCENT },
      encoding: {
        x: { field: 'value', type: 'quantitative', title: null, scale: { zero: false, nice: true } },
        y: { field: 'rmse', type: 'quantitative', title: 'RMSE', scale: { zero: false } },
      },
    },
    resolve: { scale: { x: 'independent' } },
  };
}

/** Mean |SHAP| per input as bars; where the values come from a sample, a whisker shows each one's 95 % interval. */
export function importanceChart(
  values: Array<{ column: string; value: number; low?: number; high?: number }>,
): ChartSpec {
  const y = { field: 'column', type: 'nominal', sort: '-x' };
  const whiskers = values.some((v) => v.low !== undefined && v.high !== undefined)
    ? [
        {
          mark: { type: 'rule', color: INK, strokeWidth: 1.5 },
          encoding: {
            y: { ...y, sort: { field: 'value', order: 'descending' } },
            x: { field: 'low', type: 'quantitative' },
            x2: { field: 'high' },
          },
        },
      ]
    : [];
  return {
    width: 460,
    height: { step: 26 },
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color: ACCENT, cornerRadiusEnd: 3 },
        encoding: {
          y: { ...y, title: null, axis: { labelColor: INK, labelFontSize: 12 } },
          x: { field: 'value', type: 'quantitative', title: 'mean |SHAP| (vehicles/h)' },
        },
      },
      ...whiskers,
      {
        mark: { type: 'text', align: 'left', dx: 4, color: INK, fontSize: 11 },
        encoding: {
          y,
          x: { field: whiskers.length ? 'high' : 'value', type: 'quantitative' },
          text: { field: 'value', type: 'quantitative', format: '.0f' },
        },
      },
    ],
  };
}

export function beeswarmChart(
  points: Array<{ column: string; shap: number; offset: number; valueRank: number }>,
  order: string[],
): ChartSpec {
  return {
    width: 560,
    height: { step: 34 },
    data: { values: points },
    layer: [
      {
        mark: { type: 'rule', color: '#cbd2d9' },
        encoding: { x: { datum: 0, type: 'quantitative' } },
      },
      {
        mark: { type: 'circle', size: 9, opacity: 0.8 },
        encoding: {
          y: {
            field: 'column',
            type: 'nominal',
            sort: order,
            title: null,
            axis: { labelColor: INK, labelFontSize: 12, grid: false },
          },
          yOffset: { field: 'offset', type: 'quantitative', scale: { domain: [-1.1, 1.1] } },
          x: {
            field: 'shap',
            type: 'quantitative',
            title: 'SHAP value: effect on the prediction (vehicles/h)',
          },
          color: {
            condition: { test: 'datum.valueRank < 0', value: '#9aa5b1' },
            field: 'valueRank',
            type: 'quantitative',
            title: 'feature value',
            scale: { range: ['#1d4ed8', '#c026d3', '#dc2626'], domain: [0, 1] },
            legend: {
              orient: 'right',
              gradientLength: 120,
              labelExpr: "datum.value === 0 ? 'low' : datum.value === 1 ? 'high' : ''",
              values: [0, 1],
            },
          },
        },
      },
    ],
  };
}

export function hourDayHeatmap(
  cells: Array<{ hour: number; day: string; rmse: number; rows: number }>,
): ChartSpec {
  return {
    width: 560,
    height: 200,
    data: { values: cells },
    mark: { type: 'rect', cornerRadius: 2 },
    encoding: {
      x: { field: 'hour', type: 'ordinal', title: 'hour of day', axis: { labelAngle: 0 } },
      y: { field: 'day', type: 'ordinal', sort: DAY_NAMES, title: null },
      color: { field: 'rmse', type: 'quantitative', title: 'RMSE', scale: { scheme: 'orangered' } },
      tooltip: [{ field: 'day' }, { field: 'hour' }, { field: 'rmse', format: '.0f' }, { field: 'rows' }],
    },
  };
}

export function monthChart(
  months: Array<{ month: string; rmse: number; bias: number; rows: number }>,
): ChartSpec {
  return {
    width: 380,
    height: 200,
    data: { values: months },
    layer: [
      {
        mark: { type: 'bar', color: '#f59e0b', cornerRadiusEnd: 3 },
        encoding: {
          x: { field: 'month', type: 'ordinal', sort: MONTH_NAMES, title: null, axis: { labelAngle: 0 } },
          y: { field: 'rmse', type: 'quantitative', title: 'RMSE (vehicles/h)' },
        },
      },
      {
        mark: { type: 'text', dy: -6, color: INK, fontSize: 10 },
        encoding: {
          x: { field: 'month', type: 'ordinal', sort: MONTH_NAMES },
          y: { field: 'rmse', type: 'quantitative' },
          text: { field: 'rmse', type: 'quantitative', format: '.0f' },
        },
      },
    ],
  };
}

/** Actual vs predicted over a week; with `band`, the prediction interval as a shaded area behind them. */
export function weekChart(
  points: Array<{ time: string; series: string; volume: number }>,
  band?: Array<{ time: string; low: number; high: number }>,
): ChartSpec {
  const lines = {
    data: { values: points },
    mark: { type: 'line', strokeWidth: 1.8, interpolate: 'monotone' },
    encoding: {
      x: {
        field: 'time',
        type: 'temporal',
        title: null,
        axis: { format: '%a %d %b', tickCount: 7, labelAngle: 0 },
      },
      y: { field: 'volume', type: 'quantitative', title: 'vehicles/h' },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: ['actual', 'predicted'], range: [INK, WARM] },
        legend: { orient: 'top' },
      },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        scale: {
          domain: ['actual', 'predicted'],
          range: [
            [1, 0],
            [5, 3],
          ],
        },
        legend: null,
      },
    },
  };
  if (!band) return { width: 1000, height: 240, ...lines };
  return {
    width: 1000,
    height: 240,
    layer: [
      {
        data: { values: band },
        mark: { type: 'area', color: WARM, opacity: 0.14, interpolate: 'monotone' },
        encoding: {
          x: { field: 'time', type: 'temporal' },
          y: { field: 'low', type: 'quantitative' },
          y2: { field: 'high' },
        },
      },
      lines,
    ],
  };
}

export function driftChart(report: DriftReport): ChartSpec {
  const values = report.features.map((f) => ({ feature: f.feature, psi: f.psi, drifted: f.drifted }));
  return {
    width: 460,
    height: { step: 26 },
    data: { values },
    layer: [
      {
        mark: { type: 'bar', cornerRadiusEnd: 3 },
        encoding: {
          y: {
            field: 'feature',
            type: 'nominal',
            sort: '-x',
            title: null,
            axis: { labelColor: INK, labelFontSize: 12 },
          },
          x: { field: 'psi', type: 'quantitative', title: 'PSI vs the champion\u2019s training data' },
          color: {
            field: 'drifted',
            type: 'nominal',
            scale: { domain: [false, true], range: ['#94a3b8', WARM] },
            legend: null,
          },
        },
      },
      {
        data: { values: [{ threshold: report.threshold }] },
        mark: { type: 'rule', color: WARM, strokeDash: [4, 3] },
        encoding: { x: { field: 'threshold', type: 'quantitative' } },
      },
    ],
  };
}
