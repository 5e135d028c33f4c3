import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { appendTrialTableWith } from '../../src/activities/trial-table';
import { openBlobStore } from '../../src/storage/from-uri';
import type { TrialTableRow } from '../../src/workflows/types';

const row = (index: number, status: TrialTableRow['status'] = 'succeeded'): TrialTableRow => ({
  index,
  trialId: `trial-${index}`,
  status,
  params: {
    n_estimators: 100,
    max_depth: 3,
    learning_rate: 0.1,
    gamma: 0.1,
    reg_alpha: 0.1,
    reg_lambda: 1,
    subsample: 1,
    colsample_bytree: 1,
  },
});

describe('trial table (JSON lines per search)', () => {
  it('appends batches, and a retried batch replaces its own lines instead of doubling them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trial-table-'));
    const artifacts = openBlobStore(`file://${dir}`, {});
    const deps = { artifacts };
    const first = await appendTrialTableWith(deps, { searchWorkflowId: 's-1', rows: [row(0), row(2)] });
    expect(first).to.deep.equal({ tableRef: 'trials/s-1.jsonl', rows: 2 });
    await appendTrialTableWith(deps, { searchWorkflowId: 's-1', rows: [row(1, 'pruned'), row(3, 'failed')] });
    // The same batch again, as after a timed-out first attempt that had in fact written it.
    const retried = await appendTrialTableWith(deps, {
      searchWorkflowId: 's-1',
      rows: [row(1, 'pruned'), row(3, 'failed')],
    });
    expect(retried.rows).to.equal(4);
    const lines = (await artifacts.get('trials/s-1.jsonl')).toString('utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as TrialTableRow).index)).to.deep.equal([0, 2, 1, 3]);
    expect((JSON.parse(lines[2]) as TrialTableRow).status).to.equal('pruned');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
