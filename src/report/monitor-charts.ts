/** Vega-Lite specifications of the monitoring report's time series (data inline; rendered to SVG). */
import type { ChartSpec } from './charts';

const ACCENT = '#2563eb';
const WARM = '#dc2626';
const MUTED = '#7b8794';
const WIDTH = 900;

const dayAxis = {
  field: 'day',
  type: 'temporal',
  title: null,
  axis: { format: '%Y-%m-%d', labelAngle: -30 },
};

/** Days as bands, for heat maps and grouped bars. */
const dayBand = {
  field: 'day',
  type: 'ordinal',
  timeUnit: 'yearmonthdate',
  title: null,
  axis: { format: '%m-%d', labelAngle: -60, labelOverlap: true },
};

/** Each column's score ÷ its limit per day, as a heat map: a drifted column is a red streak from its first day. */
export function driftHeatmap(
  points: Array<{ day: string; column: string; ratio: number; psi: number }>,
): ChartSpec {
  return {
    width: WIDTH,
    height: { step: 22 },
    data: { values: points },
    mark: { type: 'rect' },
    encoding: {
      x: dayBand,
      y: { field: 'column', type: 'nominal', title: null, sort: null },
      color: {
        field: 'ratio',
        type: 'quantitative',
        title: 'score ÷ limit',
        scale: {
          type: 'threshold',
          domain: [0.5, 1, 2],
          range: ['#eef2f7', '#c7d2fe', '#fca5a5', '#b91c1c'],
        },
      },
      tooltip: [
        { field: 'day', type: 'temporal' },
        { field: 'column' },
        { field: 'ratio', format: '.2f' },
        { field: 'psi', format: '.2f' },
      ],
    },
  };
}

/** One line per series over days; a rule at `limit` when given. */
export function seriesChart(
  points: Array<{ day: string; series: string; value: number }>,
  title: string,
  limit?: number,
  marks: Array<{ day: string; label: string }> = [],
): ChartSpec {
  const layers: ChartSpec[] = [
    {
      mark: { type: 'line', point: { size: 18 }, strokeWidth: 2 },
      encoding: {
        x: dayAxis,
        y: { field: 'value', type: 'quantitative', title, scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: null },
        tooltip: [{ field: 'day', type: 'temporal' }, { field: 'series' }, { field: 'value', format: '.3f' }],
      },
    },
  ];
  if (limit !== undefined) {
    layers.push({
      data: { values: [{ limit }] },
      mark: { type: 'rule', color: WARM, strokeDash: [4, 4] },
      encoding: { y: { field: 'limit', type: 'quantitative' } },
    });
  }
  if (marks.length > 0) {
    layers.push(
      {
        data: { values: marks },
        mark: { type: 'rule', color: MUTED, strokeDash: [2, 3] },
        encoding: { x: { field: 'day', type: 'temporal' } },
      },
      {
        data: { values: marks },
        mark: { type: 'text', align: 'left', dx: 3, dy: -4, color: MUTED, fontSize: 11 },
        encoding: { x: { field: 'day', type: 'temporal' }, y: { value: 0 }, text: { field: 'label' } },
      },
    );
  }
  return { width: WIDTH, height: 200, data: { values: points }, layer: layers };
}

export function rowsChart(points: Array<{ day: string; series: string; value: number }>): ChartSpec {
  return {
    width: WIDTH,
    height: 160,
    data: { values: points },
    mark: { type: 'bar', opacity: 0.85 },
    encoding: {
      x: dayBand,
      xOffset: { field: 'series' },
      y: { field: 'value', type: 'quantitative', title: 'rows' },
      color: { field: 'series', type: 'nominal', title: null, scale: { range: [ACCENT, '#16a34a', WARM] } },
      tooltip: [{ field: 'day', type: 'temporal' }, { field: 'series' }, { field: 'value' }],
    },
  };
}
