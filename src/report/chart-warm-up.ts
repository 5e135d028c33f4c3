import {
  beeswarmChart,
  convergenceChart,
  hourDayHeatmap,
  importanceChart,
  monthChart,
  parameterChart,
  weekChart,
  type ChartSpec,
} from './charts';
import { DAY_NAMES, MONTH_NAMES } from './report-data';

/** Renders of the warm-up charts by each chart thread (`npm run bench:charts`: the third is close to the fifth). */
export const WARM_UP_PASSES = 3;

/**
 * One chart of each kind a run report draws (the drift chart aside), on made-up data of a report's size. A chart
 * thread renders them when it starts: Vega's code runs two to three times as fast once the JIT has compiled it,
 * and a worker's first report would otherwise pay for that (see docs/performance.md#after-the-search).
 */
export function warmUpCharts(): { kind: string; spec: ChartSpec }[] {
  const trials = Array.from({ length: 100 }, (_, i) => ({
    trial: i,
    rmse: 480 + ((i * 37) % 60),
    best: 480 + 60 / (i + 1),
  }));
  const params = ['n_estimators', 'max_depth', 'learning_rate', 'subsample', 'colsample_bytree', 'gamma'];
  const columns = [
    'hour',
    'holiday',
    'date_time',
    'temp',
    'clouds_all',
    'weather_main',
    'rain_1h',
    'snow_1h',
  ];
  const week = Array.from({ length: 168 }, (_, h) => {
    const time = new Date(Date.UTC(2016, 3, 18, h)).toISOString().slice(0, 19);
    const volume = 3000 + 2000 * Math.sin((h / 24) * 2 * Math.PI);
    return { time, volume };
  });
  const parameters = params.flatMap((param, j) =>
    trials.map((t) => ({ param, value: (t.trial * (j + 3)) % 17, rmse: t.rmse })),
  );
  const importance = columns.map((column, j) => ({
    column,
    value: 800 / (j + 1),
    low: 760 / (j + 1),
    high: 840 / (j + 1),
  }));
  const swarm = columns.flatMap((column, j) =>
    Array.from({ length: 150 }, (_, i) => ({
      column,
      shap: (((i * 37) % 200) - 100) * (8 - j),
      offset: (((i * 13) % 21) - 10) / 10,
      valueRank: (i % 10) / 9,
    })),
  );
  const lines = week.flatMap(({ time, volume }) => [
    { time, series: 'actual', volume },
    { time, series: 'predicted', volume: volume * 1.05 },
  ]);
  const band = week.map(({ time, volume }) => ({ time, low: volume - 400, high: volume + 400 }));
  const months = MONTH_NAMES.map((month, m) => ({ month, rmse: 400 + m * 7, bias: m - 6, rows: 744 }));
  const cells = DAY_NAMES.flatMap((day, d) =>
    Array.from({ length: 24 }, (_, hour) => ({ hour, day, rmse: 200 + hour * 10 + d * 5, rows: 52 })),
  );
  return [
    { kind: 'convergence', spec: convergenceChart(trials) },
    { kind: 'parameters', spec: parameterChart(parameters) },
    { kind: 'importance', spec: importanceChart(importance) },
    { kind: 'beeswarm', spec: beeswarmChart(swarm, columns) },
    { kind: 'week', spec: weekChart(lines, band) },
    { kind: 'month', spec: monthChart(months) },
    { kind: 'hour × day', spec: hourDayHeatmap(cells) },
  ];
}
