/**
 * Renders a run report: one self-contained HTML page (inline CSS, charts as inline SVG rendered here by
 * Vega), which opens without any network. Pure: data in, HTML out.
 */
import { meanAbsoluteContributions } from '../engines/explain';
import {
  beeswarmChart,
  convergenceChart,
  driftChart,
  hourDayHeatmap,
  importanceChart,
  monthChart,
  parameterChart,
  weekChart,
  type ChartSpec,
} from './charts';
import {
  beeswarmPoints,
  convergence,
  errorBreakdown,
  parameterPoints,
  typicalWeek,
  type ReportTrial,
  type RunReportInput,
} from './report-data';
import { renderSvg, type ChartRenderer } from './render-svg';
import { ChartFigures, escapeHtml } from './chart-figures';

/** Chart ids in page order; the browser test expects one SVG per id present. */
export type ChartId =
  | 'convergence'
  | 'parameters'
  | 'shap-importance'
  | 'shap-beeswarm'
  | 'errors-hour-day'
  | 'errors-month'
  | 'validation-week'
  | 'drift';

const LEADERBOARD_ROWS = 10;

const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 90 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

type Charts = ChartFigures<ChartId>;

function tile(label: string, value: string, sub = ''): string {
  return `<div class="tile"><div class="label">${escapeHtml(label)}</div><div class="value">${value}</div>${sub ? `<div class="sub">${sub}</div>` : ''}</div>`;
}

function leaderboardTable(trials: readonly ReportTrial[]): string {
  const ok = trials.filter((t) => t.metrics).sort((a, b) => (a.metrics?.rmse ?? 0) - (b.metrics?.rmse ?? 0));
  const failed = trials.filter((t) => !t.metrics);
  const head =
    '<tr><th>#</th><th>trial</th><th class="num">RMSE</th><th class="num">MAE</th><th class="num">R²</th>' +
    '<th class="num">trees</th><th class="num">depth</th><th class="num">learning rate</th><th class="num">subsample</th>' +
    '<th class="num">colsample</th><th class="num">train time</th></tr>';
  const rows = ok.slice(0, LEADERBOARD_ROWS).map((t, i) => {
    const m = t.metrics as NonNullable<ReportTrial['metrics']>;
    const p = t.params;
    return `<tr${i === 0 ? ' class="best"' : ''}><td>${i + 1}</td><td>${escapeHtml(t.trialId)}</td><td class="num">${fmt(m.rmse, 1)}</td><td class="num">${fmt(m.mae, 1)}</td><td class="num">${fmt(m.r2, 3)}</td><td class="num">${t.rounds ?? p.n_estimators}</td><td class="num">${p.max_depth}</td><td class="num">${fmt(p.learning_rate, 3)}</td><td class="num">${fmt(p.subsample, 2)}</td><td class="num">${fmt(p.colsample_bytree, 2)}</td><td class="num">${t.trainMs === undefined ? '' : duration(t.trainMs)}</td></tr>`;
  });
  const more =
    ok.length > LEADERBOARD_ROWS
      ? `<p class="note">${ok.length - LEADERBOARD_ROWS} more successful trials not shown.</p>`
      : '';
  const failures = failed.length
    ? `<details><summary>${failed.length} failed trial${failed.length === 1 ? '' : 's'}</summary><ul>${failed
        .map((t) => `<li><b>${escapeHtml(t.trialId)}</b>: ${escapeHtml(t.error ?? 'failed')}</li>`)
        .join('')}</ul></details>`
    : '';
  return `<table class="leaderboard"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>${more}${failures}`;
}

function championCard(input: RunReportInput): string {
  const c = input.champion;
  if (!c) return '<p class="note">Registration was off for this run: no champion decision.</p>';
  const label = {
    promoted: 'Promoted',
    kept: 'Champion kept',
    'first-champion': 'First champion',
    'not-registered': 'Not registered (champion not beaten)',
    deferred: 'Decision deferred (too few days)',
  }[c.decision];
  if (c.comparison) return comparisonCard(c, label);
  const previous = c.previousChampion
    ? `<div class="versus"><div class="who">current champion v${c.previousChampion.version}</div><div class="big">${fmt(c.previousChampion.rmse, 1)}</div></div>`
    : '<div class="versus"><div class="who">no champion before</div><div class="big">—</div></div>';
  return `<div class="decision ${c.decision}">
  <div class="badge">${label}</div>
  <div class="versus"><div class="who">this run's best, v${c.candidate.version}</div><div class="big">${fmt(c.candidate.rmse, 1)}</div></div>
  <div class="vs">vs</div>
  ${previous}
  <p>${escapeHtml(c.reason)} <span class="note">(validation RMSE on ${c.validationYear}; lower is better)</span></p>
</div>`;
}

function comparisonCard(c: RunReportInput['champion'] & object, label: string): string {
  const k = c.comparison as NonNullable<typeof c.comparison>;
  const num = (x: number | null, digits: number): string => (x === null ? '—' : fmt(x, digits));
  const d = k.difference;
  return `<div class="decision ${c.decision}">
  <div class="badge">${label}</div>
  <div class="versus"><div class="who">this run's best as selected, v${c.candidate.version}</div><div class="big">${num(k.challenger.rmse, 1)}</div></div>
  <div class="vs">vs</div>
  <div class="versus"><div class="who">champion v${k.champion.version}</div><div class="big">${num(k.champion.rmse, 1)}</div></div>
  <p>${escapeHtml(c.reason)} <span class="note">(RMSE on ${fmt(k.rows)} rows over ${k.days} days, ${escapeHtml(k.from)} … ${escapeHtml(k.to)}, which neither model was fitted on; difference ${num(d.estimate, 1)}, interval [${num(d.low, 1)}, ${num(d.high, 1)}]; lower is better)</span></p>
</div>`;
}

/**
 * The search section's chart specs, which depend on the trials alone: a report can start rendering them before
 * the rest of its data is there (see src/report/render-ahead.ts). None for fewer than two successful trials.
 */
export function searchChartSpecs(
  trials: readonly ReportTrial[],
): { convergence: ChartSpec; parameters: ChartSpec } | undefined {
  const points = convergence(trials);
  if (points.length < 2) return undefined;
  return { convergence: convergenceChart(points), parameters: parameterChart(parameterPoints(trials)) };
}

function searchSection(input: RunReportInput, charts: Charts): string {
  const points = convergence(input.trials);
  if (points.length === 0)
    return '<section><h2>The search</h2><p class="note">No trial succeeded.</p></section>';
  const failed = input.trials.length - points.length;
  const specs = searchChartSpecs(input.trials);
  const figures = !specs
    ? '<p class="note">One trial with fixed parameters (no search).</p>'
    : charts.figure(
        'convergence',
        'Best RMSE by trial',
        `Each dot is a trial; the line is the best validation RMSE found so far (${points.length} trials${failed ? `, ${failed} failed` : ''}).`,
        specs.convergence,
      ) +
      charts.figure(
        'parameters',
        'Each hyperparameter against RMSE',
        'Where the good trials cluster shows which settings matter.',
        specs.parameters,
      );
  return `<section><h2>The search</h2><div class="grid">${figures}</div>
<h3>Leaderboard</h3>${leaderboardTable(input.trials)}</section>`;
}

/** Which validation rows the SHAP values are of; a sample says its size. */
function shapRowsText(v: NonNullable<RunReportInput['validation']>): string {
  const sample = v.shapSample;
  if (!sample || sample.rows >= sample.of) return `all ${fmt(v.times.length)} validation rows`;
  const how =
    sample.design === 'stratified'
      ? 'drawn in proportion from each hour of day on working and other days, evenly spread within each'
      : 'evenly spread over the year';
  return `a sample of ${fmt(sample.rows)} of the ${fmt(sample.of)} validation rows (${how}; predictions and errors below use every row)`;
}

/** Each input's mean |SHAP| with its 95 % interval when the summary comes from a sample of the rows. */
function precisionTable(v: NonNullable<RunReportInput['validation']>): string {
  const sample = v.shapSample;
  if (!sample || sample.rows >= sample.of) return '';
  const rows = sample.meanAbsShap
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.column)}</td><td class="num">${fmt(m.value, 1)}</td><td class="num">${fmt(m.low, 1)} – ${fmt(m.high, 1)}</td><td class="num">±${fmt(m.value > 0 ? ((m.high - m.low) / 2 / m.value) * 100 : 0, 1)} %</td></tr>`,
    )
    .join('');
  return `<h3>How precise the sample is</h3><p class="note">Mean |SHAP| of each input over all ${fmt(sample.of)} validation rows as the ${fmt(sample.rows)} sampled rows estimate it, with a 95 % standard-error interval (normal approximation, finite-population corrected${sample.design === 'stratified' ? ', stratified by hour of day × working day' : ''}). Train with <code>--shap-rows</code> for a larger sample and a narrower interval.</p>
<table><thead><tr><th>input</th><th class="num">mean |SHAP|</th><th class="num">95 % interval</th><th class="num">half-width</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** How many of the explained rows the beeswarm draws (beeswarmPoints: every `step`-th row, about 400). */
function beeswarmRowsText(rows: number): string {
  const shown = Math.ceil(rows / Math.max(1, Math.floor(rows / 400)));
  return shown >= rows ? `all ${fmt(rows)}` : `${fmt(shown)} of the ${fmt(rows)}`;
}

function explanationSection(input: RunReportInput, charts: Charts): string {
  const v = input.validation;
  if (!v) return '';
  const title = `<h2>Why it predicts what it predicts</h2><p class="lead">SHAP values of ${escapeHtml(v.modelLabel)} on ${shapRowsText(v)}: how many vehicles/h each input adds to or takes from the average prediction${v.explanation ? ` (${fmt(v.explanation.bias)})` : ''}.</p>`;
  if (!v.explanation)
    return `<section>${title}<p class="warning">${escapeHtml(v.explanationUnavailable ?? 'No SHAP values.')}</p></section>`;
  const sampled = v.shapSample && v.shapSample.rows < v.shapSample.of;
  // From a sample, the estimate of all rows' mean |SHAP| (weighted by stratum) and its interval; else exact.
  const importance = sampled ? v.shapSample!.meanAbsShap : meanAbsoluteContributions(v.explanation);
  const order = importance.map((i) => i.column);
  const importanceNote = `Average size of each input’s effect; one-hot weather columns are summed into weather_main.${sampled ? ' Whiskers: 95 % interval from the sample.' : ''}`;
  return `<section>${title}<div class="grid">
${charts.figure('shap-importance', 'Mean |SHAP| by input', importanceNote, importanceChart(importance))}
${charts.figure('shap-beeswarm', 'Every row’s SHAP values', `One dot per row (${beeswarmRowsText(v.explanation.rows)}), coloured by the input’s value (grey: categorical).`, beeswarmChart(beeswarmPoints(v.explanation, v.columnValues), order))}
</div>${precisionTable(v)}</section>`;
}

function errorSection(input: RunReportInput, charts: Charts): string {
  const v = input.validation;
  if (!v) return '';
  const { byHourAndDay, byMonth } = errorBreakdown(v);
  const week = typicalWeek(v);
  const weekFigure = week
    ? charts.figure(
        'validation-week',
        `A typical validation week: ${week.label}`,
        `The week whose RMSE (${fmt(week.rmse)}) is closest to the whole validation year’s; actual vs predicted vehicles/h.` +
          (week.band && v.intervals
            ? ` Shaded: the model’s ${fmt(v.intervals.level * 100)} % prediction interval (${fmt((week.coverage ?? 0) * 100)} % of this week’s hours inside it; this year’s errors are among those the interval was calibrated on, so this is no test of its coverage: <code>client backtest</code> measures that on years nothing in the run saw).`
            : ''),
        weekChart(week.points, week.band),
      )
    : '<p class="note">No validation rows to show a week of.</p>';
  return `<section><h2>Where it is wrong</h2>
<p class="lead">Errors of ${escapeHtml(v.errorsLabel)} on all ${fmt(v.times.length)} validation rows.</p><div class="grid">
${charts.figure('errors-hour-day', 'RMSE by hour of day and day of week', 'Darker cells are the hours the model gets most wrong.', hourDayHeatmap(byHourAndDay))}
${charts.figure('errors-month', 'RMSE by month', 'Validation error month by month.', monthChart(byMonth))}
</div>${weekFigure}</section>`;
}

function driftSection(input: RunReportInput, charts: Charts): string {
  if (!input.drift) return '';
  const { report, reportRef } = input.drift;
  return `<section><h2>The drift that triggered this run</h2>
<p class="lead">PSI of each input on ${fmt(report.rows)} new rows against the champion’s training data${report.seasonMatched ? ' of the same calendar months' : ''}; the dashed line is the alarm threshold ${report.threshold}${report.smallSample ? ' (small sample: drift does not trigger retraining)' : ''}. Full report: <code>${escapeHtml(reportRef)}</code>.</p>
${charts.figure('drift', 'Population stability index per input', report.drifted.length ? `Drifted: ${escapeHtml(report.drifted.join(', '))}.` : 'No input above the threshold.', driftChart(report))}
</section>`;
}

/** The whole report page. */
export async function renderRunReport(
  input: RunReportInput,
  renderChart: ChartRenderer = renderSvg,
): Promise<string> {
  const charts = new ChartFigures<ChartId>(renderChart);
  const r = input.run;
  const best = convergence(input.trials).at(-1)?.best;
  const badRows = r.badRows.reduce((s, b) => s + b.count, 0);
  const trialsOk = input.trials.filter((t) => t.metrics).length;
  const years =
    r.years.length > 1 ? `${Math.min(...r.years)}–${Math.max(...r.years)}` : String(r.years[0] ?? '');
  const badDetail = r.badRows.length
    ? `<details><summary>${fmt(badRows)} malformed rows skipped</summary><ul>${r.badRows
        .map(
          (b) =>
            `<li><b>${escapeHtml(b.file)}</b> (${b.count}): ${b.examples.map(escapeHtml).join('; ')}</li>`,
        )
        .join('')}</ul></details>`
    : '';
  const sections = [
    searchSection(input, charts),
    `<section><h2>The champion decision</h2>${championCard(input)}</section>`,
    explanationSection(input, charts),
    errorSection(input, charts),
    driftSection(input, charts),
  ].join('\n');
  return charts.fill(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(r.modelName)} — run ${escapeHtml(r.runId)}</title>
<style>${STYLE}</style></head>
<body><main>
<header>
  <div class="eyebrow">Training run report · ${escapeHtml(r.modelName)}</div>
  <h1>${escapeHtml(r.runId)}</h1>
  <p class="meta">Started ${escapeHtml(r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))} by <b>${escapeHtml(triggerText(r.trigger))}</b> · <a href="${escapeHtml(r.webUiUrl)}">open the run in the Temporal Web UI</a></p>
</header>
<div class="tiles">
${tile('best validation RMSE', best === undefined ? '—' : fmt(best, 1), `vehicles/h on ${r.validationYear}`)}
${tile('trials', `${trialsOk}`, `${input.trials.length - trialsOk} failed`)}
${tile('data', `${years}`, `${escapeHtml(r.filePrefix)}_{year}.csv`)}
${tile('rows', `${fmt(r.trainRows)} / ${fmt(r.validationRows)}`, 'train / validation')}
${tile('bad rows', fmt(badRows), `${fmt(r.duplicatesRemoved)} duplicates removed`)}
${tile('engine', escapeHtml(r.engine))}
${tile('duration', duration(r.durationMs))}
</div>
<p class="meta small">Data: <code>${escapeHtml(r.dataUri)}</code> · prepared set <code>${escapeHtml(r.datasetHash)}</code>${input.validation?.shapMs === undefined ? '' : ` · SHAP computed in ${fmt(input.validation.shapMs)} ms${input.validation.shapSample ? ` on ${fmt(input.validation.shapSample.rows)} of ${fmt(input.validation.shapSample.of)} rows` : ''}`}</p>
${badDetail}
${sections}
<footer>Generated ${escapeHtml(input.generatedAt)} · charts rendered as SVG; this file needs no network.</footer>
</main></body></html>
`);
}

function triggerText(trigger: string): string {
  return (
    { schedule: 'the daily schedule', retrain: 'a retraining check', 'ad-hoc': 'the CLI (ad hoc)' }[
      trigger
    ] ?? trigger
  );
}

export const STYLE = `
:root { --ink:#1f2933; --muted:#52606d; --line:#e4e7eb; --bg:#f5f7fa; --accent:#2563eb; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); font:14px/1.5 Inter, "Segoe UI", system-ui, -apple-system, sans-serif; }
main { max-width:1120px; margin:0 auto; padding:32px 28px 48px; }
header h1 { margin:4px 0 6px; font-size:26px; letter-spacing:-0.01em; word-break:break-all; }
.eyebrow { text-transform:uppercase; letter-spacing:.08em; font-size:12px; color:var(--accent); font-weight:700; }
.meta { color:var(--muted); margin:4px 0; } .small { font-size:12px; }
a { color:var(--accent); }
code { background:#eef2f7; padding:1px 5px; border-radius:4px; font-size:12px; }
.tiles { display:grid; grid-template-columns:repeat(7, 1fr); gap:10px; margin:20px 0 10px; }
.tile { background:white; border:1px solid var(--line); border-radius:10px; padding:12px 14px; }
.tile .label { font-size:11px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); }
.tile .value { font-size:22px; font-weight:700; margin-top:2px; white-space:nowrap; }
.tile .sub { font-size:12px; color:var(--muted); }
section { background:white; border:1px solid var(--line); border-radius:12px; padding:20px 24px; margin-top:22px; }
section h2 { margin:0 0 6px; font-size:19px; }
section h3 { margin:14px 0 6px; font-size:15px; }
.lead { color:var(--muted); margin:0 0 8px; }
.grid { display:flex; flex-wrap:wrap; gap:12px 36px; align-items:flex-start; }
figure.chart { margin:10px 0 0; }
figure.chart figcaption h3 { margin:0; font-size:14px; }
figure.chart figcaption p { margin:2px 0 6px; color:var(--muted); font-size:12px; max-width:560px; }
figure.chart svg { max-width:100%; height:auto; }
table.leaderboard { border-collapse:collapse; width:100%; font-size:13px; }
table.leaderboard th { text-align:left; font-weight:600; color:var(--muted); border-bottom:2px solid var(--line); padding:6px 8px; }
table.leaderboard td { border-bottom:1px solid var(--line); padding:6px 8px; }
table.leaderboard .num { text-align:right; font-variant-numeric:tabular-nums; }
table.leaderboard tr.best td { background:#eff6ff; font-weight:600; }
.decision { display:flex; align-items:center; flex-wrap:wrap; gap:18px; }
.decision p { flex-basis:100%; margin:4px 0 0; color:var(--muted); }
.decision .badge { font-weight:700; padding:6px 14px; border-radius:999px; background:#dcfce7; color:#166534; }
.decision.kept .badge { background:#fef3c7; color:#92400e; }
.decision .versus .who { font-size:12px; color:var(--muted); }
.decision .versus .big { font-size:28px; font-weight:700; font-variant-numeric:tabular-nums; }
.decision .vs { color:var(--muted); font-weight:600; }
.note { color:var(--muted); font-size:12px; }
.warning { background:#fff7ed; border:1px solid #fed7aa; padding:10px 14px; border-radius:8px; }
details { margin-top:8px; color:var(--muted); } details li { margin:2px 0; }
footer { margin-top:28px; color:var(--muted); font-size:12px; text-align:center; }
@media (max-width: 900px) { .tiles { grid-template-columns:repeat(2, 1fr); } }
`;
