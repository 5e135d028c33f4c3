/** Whether a retraining check retrains, and on which years. Pure: the retraining workflow imports this file. */
import type { RetrainPolicy } from '../contracts';
import type { DataDiff } from './data-state';

export type RetrainDecision = 'new-data' | 'changed-data' | 'drift' | 'decay' | 'no-new-data';

/** A DriftReport (monitoring/psi.ts) fits this shape; only `maxPsi` and `drifted` are required. */
export interface DriftEvidence {
  maxPsi: number;
  drifted: string[];
  features?: { feature: string; psi: number }[];
  /** PSI is unreliable on few rows (see psi.ts), so drift from a small sample never triggers a retrain. */
  smallSample?: boolean;
  rows?: number;
}

export interface DecayEvidence {
  /** Champion RMSE on new labelled data ÷ its validation RMSE. */
  ratio: number;
  rmse?: number;
  validationRmse?: number;
  rows?: number;
  /**
   * Set by checks with the evidence rule (see src/evaluation/model-comparison.ts assessDecay): decayed only when the lower
   * bound of the ratio's interval exceeds the policy's ratio, on enough days after the champion's training data.
   */
  verdict?: 'decayed' | 'not-decayed' | 'too-few-days';
  reason?: string;
}

export interface DecideRetrainingInput {
  diff: DataDiff;
  drift?: DriftEvidence;
  decay?: DecayEvidence;
  policy: RetrainPolicy;
}

export interface RetrainingVerdict {
  retrain: boolean;
  reasons: string[];
  decision: RetrainDecision;
}

const MAX_LISTED = 3;

function listKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, MAX_LISTED).join(', ');
  return keys.length > MAX_LISTED ? `${shown}, … (+${keys.length - MAX_LISTED} more)` : shown;
}

function objects(n: number, adjective: string): string {
  return `${n} ${adjective} object${n === 1 ? '' : 's'}`;
}

/** At most three significant digits, without trailing zeros: 0.3141 → "0.314", 1.40 → "1.4". */
function num(x: number): string {
  return String(Number(x.toPrecision(3)));
}

function rmse(x: number): string {
  return x >= 100 ? String(Math.round(x)) : num(x);
}

/** Drifted features by the policy's threshold: per feature when the PSIs are given, else the report's list. */
function driftReasons(drift: DriftEvidence, threshold: number): string[] {
  if (drift.features) {
    return drift.features
      .filter((f) => f.psi > threshold)
      .sort((a, b) => b.psi - a.psi)
      .map((f) => `PSI of ${f.feature} ${num(f.psi)} > ${threshold}`);
  }
  if (drift.maxPsi > threshold)
    return [`PSI of ${drift.drifted.join(', ') || 'some feature'} up to ${num(drift.maxPsi)} > ${threshold}`];
  return [];
}

/**
 * New or changed files always retrain (they are labelled data the champion has not learnt from). Drift and
 * decay retrain only when the policy enables them; otherwise they are still reported. The decision names the
 * strongest trigger: new-data, then changed-data, drift, decay.
 */
export function decideRetraining(input: DecideRetrainingInput): RetrainingVerdict {
  const { diff, drift, decay, policy } = input;
  const reasons: string[] = [];
  const triggers: RetrainDecision[] = [];

  if (diff.added.length > 0) {
    triggers.push('new-data');
    reasons.push(`${objects(diff.added.length, 'new')}: ${listKeys(diff.added)}`);
  }
  if (diff.changed.length > 0) {
    triggers.push('changed-data');
    reasons.push(`${objects(diff.changed.length, 'changed')}: ${listKeys(diff.changed)}`);
  }
  if (diff.removed.length > 0) {
    reasons.push(
      `${objects(diff.removed.length, 'removed')} (not a retrain trigger): ${listKeys(diff.removed)}`,
    );
  }

  if (drift) {
    const found = driftReasons(drift, policy.psiThreshold);
    if (found.length === 0) {
      reasons.push(`no drift: max PSI ${num(drift.maxPsi)} ≤ ${policy.psiThreshold}`);
    } else if (drift.smallSample) {
      const rows = drift.rows === undefined ? 'few rows' : `only ${drift.rows} rows`;
      reasons.push(...found.map((r) => `${r} (ignored: ${rows}, too few for a reliable PSI)`));
    } else if (!policy.retrainOnDrift) {
      reasons.push(...found.map((r) => `${r} (retraining on drift is off)`));
    } else {
      triggers.push('drift');
      reasons.push(...found);
    }
  }

  if (decay?.verdict !== undefined) {
    const reason = decay.reason ?? `decay ${decay.verdict}`;
    if (decay.verdict !== 'decayed') {
      reasons.push(`no decay: ${reason}`);
    } else if (!policy.retrainOnDecay) {
      reasons.push(`decay: ${reason} (retraining on decay is off)`);
    } else {
      triggers.push('decay');
      reasons.push(`decay: ${reason}`);
    }
  } else if (decay) {
    const against =
      decay.rmse !== undefined && decay.validationRmse !== undefined
        ? `champion RMSE ${rmse(decay.rmse)} is ${num(decay.ratio)}× its validation RMSE ${rmse(decay.validationRmse)}`
        : `champion RMSE is ${num(decay.ratio)}× its validation RMSE`;
    if (decay.ratio <= policy.decayRatio) {
      reasons.push(`no decay: ${against} (≤ ${policy.decayRatio})`);
    } else if (!policy.retrainOnDecay) {
      reasons.push(`${against} (> ${policy.decayRatio}; retraining on decay is off)`);
    } else {
      triggers.push('decay');
      reasons.push(`${against} (> ${policy.decayRatio})`);
    }
  }

  if (triggers.length === 0) {
    const unchanged = diff.unchanged.length;
    reasons.unshift(`no new or changed objects (${unchanged} unchanged)`);
    return { retrain: false, reasons, decision: 'no-new-data' };
  }
  return { retrain: true, reasons, decision: triggers[0] };
}

export interface ChooseYearsInput {
  /** Years with a data file present. */
  years: number[];
  /** Years whose file covers the whole year (the newest file may be partial). */
  completeYears: number[];
  validationYear?: number;
}

export interface YearChoice {
  /** Training years plus the validation year, ascending (TrainingInput.years includes the validation year). */
  years: number[];
  validationYear: number;
}

/**
 * Validates on the newest complete year (or the one given) and trains on every earlier year present. Years
 * after the validation year (a partial current year) are left out of training: they are the fresh labelled data
 * the decay check measures the champion on.
 */
export function chooseYears(input: ChooseYearsInput): YearChoice {
  const present = [...new Set(input.years)].sort((a, b) => a - b);
  if (present.length === 0) throw new Error('no data files found: nothing to train on');
  let validationYear = input.validationYear;
  if (validationYear === undefined) {
    const complete = input.completeYears.filter((y) => present.includes(y));
    if (complete.length === 0) {
      throw new Error(
        `no complete year to validate on among ${present.join(', ')}; give a validation year explicitly`,
      );
    }
    validationYear = Math.max(...complete);
  } else if (!present.includes(validationYear)) {
    throw new Error(
      `validation year ${validationYear} has no data file (years present: ${present.join(', ')})`,
    );
  }
  const training = present.filter((y) => y < validationYear);
  if (training.length === 0) {
    throw new Error(
      `no year before validation year ${validationYear} to train on (years present: ${present.join(', ')})`,
    );
  }
  return { years: [...training, validationYear], validationYear };
}

/** A check's configuration cannot work with the data present; no retry can fix it. */
export class RetrainPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetrainPolicyError';
  }
}

/**
 * Every year present is used: the newest year (complete or partial) is the validation period and every
 * earlier year trains. A partial current year is thus never left out while its fingerprint is committed: its
 * rows are the freshest labelled data, and the champion is re-scored on the same rows before any promotion.
 * An explicit validation year must be the newest year present, for the same reason.
 */
export function chooseTrainingYears(input: { years: number[]; validationYear?: number }): YearChoice {
  const present = [...new Set(input.years)].sort((a, b) => a - b);
  if (present.length === 0) throw new RetrainPolicyError('no data files found: nothing to train on');
  const newest = present[present.length - 1];
  const validationYear = input.validationYear ?? newest;
  if (!present.includes(validationYear)) {
    throw new RetrainPolicyError(
      `validation year ${validationYear} has no data file (years present: ${present.join(', ')})`,
    );
  }
  const later = present.filter((y) => y > validationYear);
  if (later.length > 0) {
    throw new RetrainPolicyError(
      `year${later.length === 1 ? '' : 's'} ${later.join(', ')} after validation year ${validationYear} would not be trained on; drop --val-year or give the newest year`,
    );
  }
  const training = present.filter((y) => y < validationYear);
  if (training.length === 0) {
    throw new RetrainPolicyError(
      `only ${validationYear} is present: a training needs a year before the validation year`,
    );
  }
  return { years: [...training, validationYear], validationYear };
}
