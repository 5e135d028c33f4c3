/**
 * How much faster a run report's charts render once the JIT has compiled Vega's code: in this fresh process, the
 * warm-up charts a chart thread renders when it starts (src/report/chart-warm-up.ts: one of each kind a report
 * draws), rendered `--passes` times one after another; the time of each pass and of each chart in it.
 * See docs/performance.md#after-the-search.
 *
 *   npm run bench:charts [-- --json] [--passes 4]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { warmUpCharts } from '../../src/report/chart-warm-up';
import { loadChartLibraries, renderSvg } from '../../src/report/render-svg';
import { round } from './stats';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    passes: { type: 'string', default: '4' },
  },
});

async function main(): Promise<void> {
  const passes = Number(values.passes);
  if (!Number.isInteger(passes) || passes < 1)
    throw new Error(`--passes must be an integer >= 1 (got ${values.passes})`);
  const loadStarted = performance.now();
  await loadChartLibraries();
  const loadMs = performance.now() - loadStarted;
  const charts = warmUpCharts();
  const rows: { pass: number; ms: number; charts: number[] }[] = [];
  for (let pass = 1; pass <= passes; pass++) {
    const times: number[] = [];
    for (const { spec } of charts) {
      const started = performance.now();
      await renderSvg(spec);
      times.push(round(performance.now() - started, 1));
    }
    rows.push({
      pass,
      ms: round(
        times.reduce((a, b) => a + b, 0),
        1,
      ),
      charts: times,
    });
  }
  const result = {
    load_ms: round(loadMs, 1),
    charts: charts.map((c) => c.kind),
    passes: rows,
    load_average: os.loadavg().map((l) => round(l, 2)),
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  process.stdout.write(
    [
      `chart libraries loaded in ${result.load_ms} ms; load average ${result.load_average.join(' ')}`,
      `pass  total ms  ${result.charts.join(', ')}`,
      ...rows.map(
        (r) => `${String(r.pass).padStart(4)}  ${String(r.ms).padStart(8)}  ${r.charts.join(', ')}`,
      ),
    ].join('\n') + '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
