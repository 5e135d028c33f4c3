import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { artifactKeys } from '../activities/artifact-keys';
import { loadConfig } from '../config';
import { ModelRegistry } from '../registry/model-registry';
import { openBlobStore } from '../storage/from-uri';
import { DEFAULT_MODEL_NAME } from './training-options';

/** `report <run-id|version|champion> [--out file]`: copies a training run's HTML report out of the artifact store. */
export function addReportCommand(program: Command): void {
  program
    .command('report <run>')
    .description(
      'write the HTML report of a training run (its workflow id, or a version number or alias of the model it registered) to a local file',
    )
    .option('--model-name <name>', 'registered model name (for a version or alias)', DEFAULT_MODEL_NAME)
    .option('--out <file>', 'where to write it (default: reports/<run id>.html)')
    .action(async (run: string, flags: { modelName: string; out?: string }) => {
      const config = loadConfig();
      const artifacts = openBlobStore(config.artifactsUri, config.s3);
      let runId = run;
      let reportRef = artifactKeys.runReport(run);
      if (/^\d+$/.test(run) || run === 'champion') {
        const version = await new ModelRegistry(artifacts).resolve(flags.modelName, run);
        runId = version.trainingWorkflowId;
        reportRef = version.reportRef ?? artifactKeys.runReport(runId);
      }
      const html = await artifacts.tryGet(reportRef);
      if (!html) {
        throw new Error(
          `no report ${reportRef} in ${config.artifactsUri} (runs before reports existed, or whose report failed, have none)`,
        );
      }
      const out = path.resolve(flags.out ?? path.join('reports', `${runId}.html`));
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, html);
      console.log(out);
    });
}
