import type { Command } from 'commander';
import { explainWithVersion } from '../activities/explain-version';
import { loadConfig } from '../config';
import { inputsOfGroup, toRowExplanations } from '../engines/explain';
import { dayOfWeek, daysFromCivil } from '../data/local-date-time';
import { parsePredictionRows } from '../data/prediction-rows';
import type { TrafficRow } from '../contracts/domain';
import { DAY_NAMES, MONTH_NAMES } from '../report/report-data';
import { ModelRegistry } from '../registry/model-registry';
import { openBlobStore } from '../storage/from-uri';
import { intervalsForVersion } from '../activities/version-intervals';
import { formatInterval, INTERVAL_HELP, intervalLevel } from './interval-option';
import { readInput, readPredictionRows } from '../data/prediction-input';
import { DEFAULT_MODEL_NAME } from './training-options';

interface ExplainFlags {
  modelName: string;
  version: string;
  top: string;
  json?: boolean;
  interval?: number;
}

/**
 * `explain [file|-]`: predictions with their SHAP contributions by input column. Runs in the client
 * against the artifact store (like `models show`): exact TreeSHAP needs the native library here.
 */
export function addExplainCommand(program: Command): void {
  program
    .command('explain [file]')
    .description(
      'predict rows (same input as predict) and show what drove each prediction: SHAP contributions by input column',
    )
    .option('--model-name <name>', 'registered model name', DEFAULT_MODEL_NAME)
    .option('--version <version>', 'a version number or alias', 'champion')
    .option('--top <n>', 'contributions shown per row (text output)', '5')
    .option('--json', 'print every row with all its contributions as JSON')
    .option('--interval <level>', INTERVAL_HELP, intervalLevel)
    .action(async (file: string | undefined, flags: ExplainFlags) => {
      const top = Number(flags.top);
      if (!Number.isInteger(top) || top < 1)
        throw new Error(`--top must be a positive integer (got ${flags.top})`);
      const { text, source } = readInput(file);
      const raw = readPredictionRows(text, source);
      const rows = parsePredictionRows(raw);
      const config = loadConfig();
      const artifacts = openBlobStore(config.artifactsUri, config.s3);
      const version = await new ModelRegistry(artifacts).resolve(flags.modelName, flags.version);
      const explanation = await explainWithVersion({ artifacts }, version, rows);
      const intervals =
        flags.interval === undefined
          ? undefined
          : await intervalsForVersion(artifacts, version, rows, explanation.predictions, flags.interval);
      const header = { modelName: version.modelName, version: version.version, engine: version.engine };
      const withIntervals = <T>(explained: T[]) =>
        intervals ? explained.map((row, i) => ({ ...row, interval: intervals[i] })) : explained;
      if (flags.json) {
        console.log(
          JSON.stringify(
            {
              ...header,
              ...(flags.interval === undefined ? {} : { intervalLevel: flags.interval }),
              rows: withIntervals(toRowExplanations(explanation)),
            },
            null,
            2,
          ),
        );
        return;
      }
      const explained = toRowExplanations(explanation, top);
      console.log(
        `${version.modelName} v${version.version}: every prediction = ${explained[0].bias.toFixed(0)} ` +
          '(the average prediction) + the contributions below (SHAP, vehicles/h)',
      );
      const width = Math.max(...explanation.columns.map((c) => c.length));
      explained.forEach((row, i) => {
        const interval = intervals
          ? `, ${(flags.interval ?? 0) * 100} % interval ${formatInterval(intervals[i])}`
          : '';
        console.log(`\n${rows[i].date_time.text}  ${row.prediction.toFixed(0)} vehicles/h${interval}`);
        for (const { column, value } of row.contributions) {
          const shown = `${value >= 0 ? '+' : '-'}${Math.abs(value).toFixed(0)}`.padStart(7);
          console.log(`  ${column.padEnd(width)} ${shown}  ${inputValue(raw[i], rows[i], column)}`);
        }
      });
    });
}

/**
 * What a person would call the input's value: the raw field, the raw fields of a group of several columns,
 * or the calendar part a feature derives from date_time.
 */
function inputValue(raw: Record<string, unknown>, row: TrafficRow, column: string): string {
  const inputs = inputsOfGroup(column);
  if (inputs.length > 1) return inputs.map((input) => inputValue(raw, row, input)).join(', ');
  if (raw[column] !== undefined) return String(raw[column]);
  const time = row.date_time;
  if (column === 'hour') return `${String(time.hour).padStart(2, '0')}:00`;
  if (column === 'month') return MONTH_NAMES[time.month - 1];
  if (column === 'day_of_week') return DAY_NAMES[dayOfWeek(time)];
  if (column === 'day_of_year')
    return `day ${daysFromCivil(time.year, time.month, time.day) - daysFromCivil(time.year, 1, 1) + 1}`;
  return '';
}
