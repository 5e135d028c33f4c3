/**
 * The monitoring report: one self-contained HTML page of the daily records over time (inline CSS, charts as
 * inline SVG rendered here by Vega, as the run report), which opens without any network. Pure: records in, HTML out.
 */
import type { MonitoringRecord } from '../monitoring/monitoring-record';
import { driftHeatmap, rowsChart, seriesChart } from './monitor-charts';
import { STYLE } from './render-run-report';
import { ChartFigures, escapeHtml } from './chart-figures';

/** Chart ids in page order; the browser test expects one SVG per id present. */
export type MonitorChartId =
  | 'drift-heatmap'
  | 'drift-ratio'
  | 'numeric-distance'
  | 'categorical-distance'
  | 'prediction-target-drift'
  | 'accuracy'
  | 'rows';

export interface MonitorReportInput {
  modelName: string;
  records: readonly MonitoringRecord[];
  /** Champion promotions to mark on the accuracy chart (alias history), by the day they happened. */
  promotions?: Array<{ day: string; version: number }>;
  generatedAt: string;
}

const fmt = (x: number | undefined, digits = 2) => (x === undefined ? '—' : x.toFixed(digits));

/** The first day each column drifted, and for how many days. */
function driftedColumns(
  records: readonly MonitoringRecord[],
): Array<{ column: string; first: string; days: number }> {
  const seen = new Map<string, { column: string; first: string; days: number }>();
  for (const r of records) {
    for (const c of r.columns.filter((col) => col.drifted)) {
      const entry = seen.get(c.column);
      if (entry) entry.days++;
      else seen.set(c.column, { column: c.column, first: r.day, days: 1 });
    }
  }
  return [...seen.values()].sort((a, b) => (a.first < b.first ? -1 : 1));
}

export async function renderMonitorReport(input: MonitorReportInput): Promise<string> {
  const { records } = input;
  if (records.length === 0) throw new Error(`no monitoring records of ${input.modelName} to report`);
  const first = records[0].day;
  const last = records[records.length - 1].day;
  const withRows = records.filter((r) => r.columns[0]?.rows > 0);
  const ratioPoints = withRows.flatMap((r) =>
    r.columns.map((c) => ({ day: r.day, column: c.column, ratio: c.ratio, psi: c.psi })),
  );
  const numeric = withRows.flatMap((r) =>
    r.columns
      .filter((c) => c.wasserstein !== undefined)
      .map((c) => ({ day: r.day, series: c.column, value: c.ratio })),
  );
  const distance = withRows.flatMap((r) =>
    r.columns
      .filter((c) => c.wasserstein !== undefined)
      .map((c) => ({ day: r.day, series: c.column, value: c.wasserstein as number })),
  );
  const categorical = withRows.flatMap((r) =>
    r.columns
      .filter((c) => c.jensenShannon !== undefined)
      .map((c) => ({ day: r.day, series: c.column, value: c.jensenShannon as number })),
  );
  const valueDrift = records.flatMap((r) => [
    ...(r.predictionDrift
      ? [{ day: r.day, series: 'served predictions', value: r.predictionDrift.psi }]
      : []),
    ...(r.targetDrift ? [{ day: r.day, series: 'labelled target', value: r.targetDrift.psi }] : []),
  ]);
  const accuracy = records.flatMap((r) => [
    ...r.liveAccuracy.byVersion.map((v) => ({ day: r.day, series: `live v${v.version}`, value: v.rmse })),
    ...(r.championOnDay && !r.championOnDay.fittedOn
      ? [{ day: r.day, series: `champion v${r.champion.version} re-scored`, value: r.championOnDay.rmse }]
      : []),
  ]);
  const inSample = records.filter((r) => r.championOnDay?.fittedOn).length;
  const rows = records.flatMap((r) => [
    { day: r.day, series: 'served', value: r.counts.served },
    { day: r.day, series: 'labelled', value: r.counts.labelled },
    { day: r.day, series: 'log rows lost', value: r.counts.badLogLines + (r.counts.droppedLogRows ?? 0) },
  ]);
  const marks = (input.promotions ?? [])
    .filter((p) => p.day >= first && p.day <= last)
    .map((p) => ({ day: p.day, label: `v${p.version} promoted` }));
  const drifted = driftedColumns(records);
  const served = records.reduce((n, r) => n + r.counts.served, 0);
  const lastLive = [...records].reverse().find((r) => r.liveAccuracy.byVersion.length > 0);

  const charts = new ChartFigures<MonitorChartId>();
  const sections: string[] = [];
  sections.push(`<section><h2>Input drift</h2>
<p class="lead">Each column's distance from the champion's training rows on that day — Wasserstein for numeric columns (in their unit), Jensen–Shannon for categorical ones — divided by its limit, 1.5 × the largest distance any training day reached. Above 1 the column drifted and an alert is sent.</p>
${charts.figure('drift-heatmap', 'Drift per column and day (score ÷ limit)', 'Red from the first day a column drifted.', driftHeatmap(ratioPoints))}
${numeric.length ? charts.figure('drift-ratio', 'Numeric columns: score ÷ limit', 'The dashed line is the limit.', seriesChart(numeric, 'score ÷ limit', 1)) : ''}
${distance.length ? charts.figure('numeric-distance', 'Wasserstein distance per numeric column', "In the column's own unit (K, mm, %, hours), on the profile's bins.", seriesChart(distance, 'Wasserstein-1')) : ''}
${categorical.length ? charts.figure('categorical-distance', 'Jensen–Shannon distance per categorical column', '0 = the training shares, 1 = no category in common.', seriesChart(categorical, 'Jensen–Shannon')) : ''}
</section>`);
  if (valueDrift.length)
    sections.push(`<section><h2>Prediction and target drift</h2>
${charts.figure('prediction-target-drift', 'PSI against the training deciles', "Served predictions against the champion's predictions on its own training rows; labelled rows' traffic volume against the training target.", seriesChart(valueDrift, 'PSI', 0.2))}
</section>`);
  if (accuracy.length)
    sections.push(`<section><h2>Accuracy</h2>
${charts.figure('accuracy', 'RMSE per day (vehicles/h)', `Live: each served prediction joined with its hour's label, per version that served it. Re-scored: the current champion on the day's labelled rows, only on days outside its training and validation years${inSample ? ` (${inSample} in-sample days left out)` : ''}.${marks.length ? ' Dotted lines: promotions.' : ''}`, seriesChart(accuracy, 'RMSE', undefined, marks))}
</section>`);
  sections.push(`<section><h2>Rows</h2>
${charts.figure('rows', 'Rows per day', 'Predictions served for the day’s hours, labelled rows that arrived, prediction-log rows lost (dropped or unreadable).', rowsChart(rows))}
</section>`);

  const tiles = [
    ['days', String(records.length), `${first} – ${last}`],
    [
      'columns drifted',
      String(drifted.length),
      drifted.map((d) => `${d.column} from ${d.first}`).join(', ') || 'none',
    ],
    ['served rows', String(served), 'over the period'],
    [
      'live RMSE',
      lastLive
        ? fmt(lastLive.liveAccuracy.byVersion[lastLive.liveAccuracy.byVersion.length - 1].rmse, 0)
        : '—',
      lastLive ? `on ${lastLive.day}` : 'nothing served and labelled',
    ],
  ]
    .map(
      ([label, value, sub]) =>
        `<div class="tile"><div class="label">${escapeHtml(label)}</div><div class="value">${escapeHtml(value)}</div><div class="sub">${escapeHtml(sub)}</div></div>`,
    )
    .join('\n');
  return charts.fill(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.modelName)} — monitoring ${first} to ${last}</title>
<style>${STYLE}
.tiles { grid-template-columns:repeat(4, 1fr); }
.tile .value { white-space:normal; }</style></head>
<body><main>
<header>
  <div class="eyebrow">Model monitoring · ${escapeHtml(input.modelName)}</div>
  <h1>${first} – ${last}</h1>
  <p class="meta">One record per day (<code>client monitor</code>), champion v${records[records.length - 1].champion.version} on the last day.</p>
</header>
<div class="tiles">
${tiles}
</div>
${sections.join('\n')}
<footer>Generated ${escapeHtml(input.generatedAt)} · charts rendered as SVG; this file needs no network.</footer>
</main></body></html>
`);
}
