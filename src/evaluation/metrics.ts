/** Regression metrics; sums are accumulated in float64 whatever the input array type. */
import type { RegressionMetrics } from '../contracts/domain';

type Values = ArrayLike<number>;

function checkLengths(yTrue: Values, yPred: Values): void {
  if (yTrue.length !== yPred.length) {
    throw new Error(`metric inputs differ in length: ${yTrue.length} true vs ${yPred.length} predicted`);
  }
  if (yTrue.length === 0) throw new Error('metric inputs are empty');
}

export function rmse(yTrue: Values, yPred: Values): number {
  checkLengths(yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const e = yTrue[i] - yPred[i];
    sum += e * e;
  }
  return Math.sqrt(sum / yTrue.length);
}

export function mae(yTrue: Values, yPred: Values): number {
  checkLengths(yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) sum += Math.abs(yTrue[i] - yPred[i]);
  return sum / yTrue.length;
}

/** Coefficient of determination; like scikit-learn, 1 for a perfect fit of a constant target and 0 otherwise. */
export function r2(yTrue: Values, yPred: Values): number {
  checkLengths(yTrue, yPred);
  const n = yTrue.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i];
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const e = yTrue[i] - yPred[i];
    const d = yTrue[i] - mean;
    ssRes += e * e;
    ssTot += d * d;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

export function regressionMetrics(yTrue: Values, yPred: Values): RegressionMetrics {
  return { rmse: rmse(yTrue, yPred), mae: mae(yTrue, yPred), r2: r2(yTrue, yPred) };
}
