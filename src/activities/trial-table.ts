import type { BlobStore } from '../storage/blob-store';
import type { AppendTrialTableInput, AppendTrialTableResult, TrialTableRow } from '../contracts';
import { artifactKeys } from './artifact-keys';

export interface TrialTableDeps {
  artifacts: BlobStore;
}

/**
 * Stores a batch of finished trials as one JSON-lines object under the search's table prefix, named by the
 * batch's first trial index (`trials/<search id>/<first index>.jsonl`): each batch is written once, so the
 * cost per batch stays flat however many trials came before, and a retried batch rewrites its own object.
 */
export async function appendTrialTableWith(
  deps: TrialTableDeps,
  input: AppendTrialTableInput,
): Promise<AppendTrialTableResult> {
  const tableRef = artifactKeys.trialTable(input.searchWorkflowId);
  if (input.rows.length > 0) {
    const first = Math.min(...input.rows.map((r) => r.index));
    const body = input.rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    await deps.artifacts.put(artifactKeys.trialTableBatch(input.searchWorkflowId, first), body);
  }
  return { tableRef, rows: input.rows.length };
}

/**
 * Every row of a search's trial table, by trial index. `tableRef` is the prefix of the batch objects, or (for
 * searches that ran before the table was split into batches) the one `trials/<search id>.jsonl` object.
 */
export async function readTrialTable(artifacts: BlobStore, tableRef: string): Promise<TrialTableRow[]> {
  const keys = tableRef.endsWith('.jsonl')
    ? [tableRef]
    : (await artifacts.list(tableRef)).map((info) => info.key).filter((key) => key.endsWith('.jsonl'));
  const byIndex = new Map<number, TrialTableRow>();
  for (const key of keys) {
    for (const line of (await artifacts.get(key)).toString('utf8').split('\n')) {
      if (line === '') continue;
      const row = JSON.parse(line) as TrialTableRow;
      byIndex.set(row.index, row);
    }
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}
