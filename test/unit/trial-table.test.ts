import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { appendTrialTableWith, readTrialTable } from '../../src/activities/trial-table';
import { openBlobStore } from '../../src/storage/from-uri';
import type { TrialTableRow } from '../../src/contracts';

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

describe('trial table (one JSON-lines object per batch)', () => {
  it('writes each batch once under the table prefix; a retried batch rewrites its own object; readers get every row by index', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trial-table-'));
    const artifacts = openBlobStore(`file://${dir}`, {});
    const deps = { artifacts };
    const first = await appendTrialTableWith(deps, { searchWorkflowId: 's-1', rows: [row(0), row(2)] });
    expect(first).to.deep.equal({ tableRef: 'trials/s-1/', rows: 2 });
    await appendTrialTableWith(deps, { searchWorkflowId: 's-1', rows: [row(1, 'pruned'), row(3, 'failed')] });
    // The same batch again, as after a timed-out first attempt that had in fact written it.
    const retried = await appendTrialTableWith(deps, {
      searchWorkflowId: 's-1',
      rows: [row(1, 'pruned'), row(3, 'failed')],
    });
    expect(retried).to.deep.equal({ tableRef: 'trials/s-1/', rows: 2 });
    expect((await artifacts.list('trials/s-1/')).map((o) => o.key)).to.deep.equal([
      'trials/s-1/000000.jsonl',
      'trials/s-1/000001.jsonl',
    ]);
    // An earlier batch is never read or rewritten by a later one.
    expect(
      (await artifacts.get('trials/s-1/000000.jsonl')).toString('utf8').trim().split('\n'),
    ).to.have.length(2);
    const table = await readTrialTable(artifacts, first.tableRef);
    expect(table.map((r) => r.index)).to.deep.equal([0, 1, 2, 3]);
    expect(table[1].status).to.equal('pruned');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the single-object table of searches from before the batches', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trial-table-'));
    const artifacts = openBlobStore(`file://${dir}`, {});
    await artifacts.put('trials/old.jsonl', [row(1), row(0)].map((r) => JSON.stringify(r)).join('\n') + '\n');
    expect((await readTrialTable(artifacts, 'trials/old.jsonl')).map((r) => r.index)).to.deep.equal([0, 1]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
