import type { BlobStore } from '../storage/blob-store';
import type { AppendTrialTableInput, AppendTrialTableResult } from '../workflows/types';
import { artifactKeys } from './artifact-keys';

export interface TrialTableDeps {
  artifacts: BlobStore;
}

/**
 * Appends a batch of finished trials to the search's JSON-lines table. Object stores cannot append, so the
 * table is rewritten; a retried batch replaces its own earlier lines (matched by trial index) instead of
 * doubling them.
 */
export async function appendTrialTableWith(
  deps: TrialTableDeps,
  input: AppendTrialTableInput,
): Promise<AppendTrialTableResult> {
  const tableRef = artifactKeys.trialTable(input.searchWorkflowId);
  const incoming = new Set(input.rows.map((r) => r.index));
  const existing = (await deps.artifacts.tryGet(tableRef))?.toString('utf8') ?? '';
  const kept = existing.split('\n').filter((line) => line !== '' && !incoming.has(lineIndex(line)));
  const lines = [...kept, ...input.rows.map((r) => JSON.stringify(r))];
  await deps.artifacts.put(tableRef, lines.join('\n') + '\n');
  return { tableRef, rows: lines.length };
}

function lineIndex(line: string): number {
  return (JSON.parse(line) as { index: number }).index;
}
