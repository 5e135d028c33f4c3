import { InvalidArgumentError, Option, type Command } from 'commander';
import type { EngineChoice } from '../contracts/domain';
import { positiveInt, positiveNumber } from '../runtime/arguments';
import type { RetrainCheckInput, RunTrigger } from '../contracts';
import { addTrainingOptions, trainingInputFrom, type TrainingFlags } from './training-options';

export interface RetrainFlags extends Omit<TrainingFlags, 'years' | 'valYear'> {
  valYear?: number;
  psiThreshold: number;
  decayRatio: number;
  retrainOnDrift: boolean;
  retrainOnDecay: boolean;
  driftFromPredictions?: number;
  trainingTimeout?: number;
  alertWebhook?: string;
}

/** Training flags plus the retraining policy; shared by `retrain-check` and `schedule create`. */
export function addRetrainOptions(cmd: Command): Command {
  return addTrainingOptions(cmd, { withYears: false })
    .option(
      '--val-year <year>',
      'validation year of the retraining; must be the newest year present (default: the newest year, complete or not)',
      positiveInt,
    )
    .option('--psi-threshold <psi>', 'PSI above which a feature counts as drifted', positiveNumber, 0.2)
    .option(
      '--decay-ratio <ratio>',
      'champion RMSE on new data / its validation RMSE above which it has decayed',
      positiveNumber,
      1.25,
    )
    .option('--retrain-on-drift', 'also retrain when features drift, even without new files', false)
    .option('--retrain-on-decay', 'also retrain when the champion decays, even without new files', false)
    .option(
      '--drift-from-predictions <days>',
      "drift compares the prediction service's logged rows of the last <days> days instead of the new files",
      positiveInt,
    )
    .option(
      '--training-timeout <minutes>',
      'a training the check starts fails after this many minutes (e.g. no worker serves the trial queue) (default: 360)',
      positiveInt,
    )
    .addOption(
      new Option(
        '--alert-webhook <url>',
        "post the check's alerts (drift, decay, failure, promotion) as JSON here; default: the worker's ALERT_WEBHOOK_URL",
      )
        .env('ALERT_WEBHOOK_URL')
        .argParser(webhookUrl),
    );
}

function webhookUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`not a URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError(`not an http(s) URL: ${value}`);
  return value;
}

export function retrainInputFrom(
  flags: RetrainFlags,
  defaults: { dataUri: string; engine: EngineChoice; trigger: RunTrigger },
): RetrainCheckInput {
  // Years are chosen per check from the data present; 2000 is a placeholder for the shared parser only.
  const training = trainingInputFrom(
    { ...flags, years: [2000], valYear: 2000 },
    { dataUri: defaults.dataUri, engine: defaults.engine, trigger: 'retrain' },
  );
  const { dataUri, filePrefix, years: _y, validationYear: _v, trigger: _t, ...rest } = training;
  return {
    dataUri,
    filePrefix,
    training: rest,
    validationYear: flags.valYear,
    policy: {
      retrainOnDrift: flags.retrainOnDrift,
      retrainOnDecay: flags.retrainOnDecay,
      psiThreshold: flags.psiThreshold,
      decayRatio: flags.decayRatio,
    },
    trigger: defaults.trigger,
    ...(flags.driftFromPredictions === undefined
      ? {}
      : { driftFromPredictionLogDays: flags.driftFromPredictions }),
    ...(flags.trainingTimeout === undefined ? {} : { trainingTimeoutMinutes: flags.trainingTimeout }),
    ...(flags.alertWebhook ? { alertWebhookUrl: flags.alertWebhook } : {}),
  };
}
