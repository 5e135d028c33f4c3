import { randomBytes } from 'node:crypto';

/**
 * Workflow id of a run started by hand: `<kind>-<UTC time to the millisecond>-<4 random hex>`, e.g.
 * `train-traffic-volume-predictor-20261123T094512345Z-9f3a`, so two starts in the same millisecond differ too.
 */
export function newRunId(kind: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${kind}-${stamp}-${randomBytes(2).toString('hex')}`;
}
