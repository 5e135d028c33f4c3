import fs from 'node:fs';
import path from 'node:path';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../config';
import type { MonitoringRecord } from '../monitoring/monitoring-record';
import { readMonitoringRecords } from '../monitoring/record-reader';
import { ModelRegistry } from '../registry/model-registry';
import { renderMonitorReport } from '../report/render-monitor-report';
import { positiveInt } from '../runtime/arguments';
import { connectClient } from '../runtime/temporal-connection';
import { openBlobStore } from '../storage/from-uri';
import { monitorBackfillWorkflow } from '../workflows/monitor-backfill';
import { DEFAULT_FILE_PREFIX, DEFAULT_MODEL_NAME } from './training-options';

function day(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    throw new InvalidArgumentError(`not a YYYY-MM-DD day: ${value}`);
  return value;
}

const num = (x: number | undefined, digits: number) => (x === undefined ? '—' : x.toFixed(digits));

/** One line a day: the worst-drifting column and its score, live RMSE, rows. */
export function formatMonitorTable(records: readonly MonitoringRecord[]): string {
  const header = [
    'day',
    'rows',
    'served',
    'worst column',
    'score÷limit',
    'PSI',
    'drifted',
    'live RMSE',
    'champion RMSE',
  ];
  const lines = records.map((r) => {
    const live = r.liveAccuracy.byVersion
      .map((v) => `v${v.version} ${v.rmse.toFixed(0)} (${v.rows})`)
      .join(', ');
    const champ = r.championOnDay
      ? `${r.championOnDay.rmse.toFixed(0)}${r.championOnDay.fittedOn ? ' in-sample' : ''}`
      : '—';
    return [
      r.day,
      String(r.columns[0]?.rows ?? 0),
      String(r.counts.served),
      r.worst?.column ?? '—',
      num(r.worst?.ratio, 2),
      num(r.worst?.psi, 2),
      r.columns
        .filter((c) => c.drifted)
        .map((c) => c.column)
        .join(',') || '-',
      live || '—',
      champ,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines]
    .map((cells) =>
      cells
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `monitor`, `monitor report`, `monitor backfill`. */
export function addMonitorCommand(program: Command): void {
  const monitor = program
    .command('monitor')
    .description(
      'the daily monitoring records of a model: drift per column, prediction and target drift, live accuracy',
    )
    .option('--model-name <name>', 'registered model name', DEFAULT_MODEL_NAME)
    .option('--days <n>', 'the newest <n> days that have a record', positiveInt, 30)
    .option('--json', 'print the records as JSON')
    .action(async (flags: { modelName: string; days: number; json?: boolean }) => {
      const config = loadConfig();
      const records = await readMonitoringRecords(
        openBlobStore(config.artifactsUri, config.s3),
        flags.modelName,
        {
          last: flags.days,
        },
      );
      if (flags.json) console.log(JSON.stringify(records, null, 2));
      else if (records.length === 0)
        console.log(
          `no monitoring records of ${flags.modelName} yet (the retraining check or \`monitor backfill\` writes them)`,
        );
      else console.log(formatMonitorTable(records));
    });

  monitor
    .command('report')
    .description('write a self-contained HTML page of the records as time series')
    .option('--model-name <name>', 'registered model name', DEFAULT_MODEL_NAME)
    .option('--days <n>', 'the newest <n> days that have a record', positiveInt, 90)
    .option('--from <yyyy-mm-dd>', 'first day (instead of --days)', day)
    .option('--to <yyyy-mm-dd>', 'last day', day)
    .requiredOption('--out <file>', 'where to write the page')
    .action(async (flags: { modelName: string; days: number; from?: string; to?: string; out: string }) => {
      const config = loadConfig();
      const artifacts = openBlobStore(config.artifactsUri, config.s3);
      const records = await readMonitoringRecords(artifacts, flags.modelName, {
        ...(flags.from ? { from: flags.from } : { last: flags.days }),
        ...(flags.to ? { to: flags.to } : {}),
      });
      const history = await new ModelRegistry(artifacts)
        .aliasHistory(flags.modelName, 'champion')
        .catch(() => []);
      const html = await renderMonitorReport({
        modelName: flags.modelName,
        records,
        promotions: history.map((h) => ({ day: h.setAt.slice(0, 10), version: h.version })),
        generatedAt: new Date().toISOString(),
      });
      const out = path.resolve(flags.out);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, html);
      console.log(out);
    });

  monitor
    .command('backfill')
    .description(
      'compute the records of past days from the stored data files and the prediction log (month by month)',
    )
    .option('--model-name <name>', 'registered model name', DEFAULT_MODEL_NAME)
    .requiredOption('--from <yyyy-mm-dd>', 'first day', day)
    .option('--to <yyyy-mm-dd>', 'last day (default: yesterday, UTC)', day)
    .option('--file-prefix <prefix>', 'data file prefix', DEFAULT_FILE_PREFIX)
    .option('--alerts', 'also send the alerts of the backfilled days (default: no)')
    .option('--json', 'print the result as JSON')
    .action(
      async (flags: {
        modelName: string;
        from: string;
        to?: string;
        filePrefix: string;
        alerts?: boolean;
        json?: boolean;
      }) => {
        const config = loadConfig();
        const to = flags.to ?? new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
        if (to < flags.from) throw new InvalidArgumentError(`--to ${to} is before --from ${flags.from}`);
        const client = await connectClient(config);
        // One backfill per model and range: running it again while it runs attaches to it.
        const workflowId = `monitor-backfill-${flags.modelName}-${flags.from}-${to}`;
        const handle = await client.workflow.start(monitorBackfillWorkflow, {
          taskQueue: config.taskQueue,
          workflowId,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          workflowIdConflictPolicy: 'USE_EXISTING',
          args: [
            {
              modelName: flags.modelName,
              dataUri: config.dataUri,
              filePrefix: flags.filePrefix,
              from: flags.from,
              to,
              alertOnRecords: flags.alerts === true,
            },
          ],
        });
        const result = await handle.result();
        console.log(
          flags.json
            ? JSON.stringify({ workflowId, ...result }, null, 2)
            : `${workflowId}: ${result.records} records over ${result.days} days (${result.chunks} months), champion v${result.championVersion ?? '—'}, database ${typeof result.database === 'string' ? result.database : `failed: ${result.database.failed}`}`,
        );
      },
    );
}
