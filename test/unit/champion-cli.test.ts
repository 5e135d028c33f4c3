import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { openBlobStore } from '../../src/storage/from-uri';
import { ModelRegistry } from '../../src/registry/model-registry';
import { registerSampleVersions } from '../support/registered-models';

const CLIENT = path.resolve(__dirname, '../../src/client.js');
const MODEL = 'cli-champion';

describe('client CLI: models promote, rollback, show champion', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'champion-cli-'));
    await registerSampleVersions(openBlobStore(`file://${dir}`), MODEL, [5, 6]);
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  function client(...args: string[]) {
    const result = spawnSync(process.execPath, [CLIENT, ...args, '--model-name', MODEL], {
      encoding: 'utf8',
      env: { ...process.env, ARTIFACTS_URI: `file://${dir}` },
    });
    return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
  }

  it('moves the alias, records each move, and shows the history with the champion', () => {
    expect(client('models', 'promote', '1', '--by', 'alice', '--reason', 'first').stdout).to.equal(
      `${MODEL}: champion is now v1, entry 1 by alice: first`,
    );
    expect(client('models', 'promote', '2', '--by', 'bob').stdout).to.equal(
      `${MODEL}: champion is now v2 (was v1), entry 2 by bob: promoted v2 over v1 by hand`,
    );
    expect(client('models', 'rollback', '--by', 'carol').stdout).to.equal(
      `${MODEL}: champion is now v1 (was v2), entry 3 by carol: rolled back from v2 to v1`,
    );
    const rollback = client('models', 'rollback');
    expect(rollback.status).to.equal(1);
    expect(rollback.stderr).to.equal(
      `error: model "${MODEL}" has no previous champion to roll back to (champion is v1)`,
    );
    expect(client('models', 'promote', '9').stderr).to.match(/has no version 9/);
    const shown = JSON.parse(client('models', 'show', 'champion').stdout);
    expect(shown.version).to.equal(1);
    expect(
      shown.championHistory.map((e: { version: number; by: string; action: string }) => [
        e.version,
        e.by,
        e.action,
      ]),
    ).to.deep.equal([
      [1, 'alice', 'promote'],
      [2, 'bob', 'promote'],
      [1, 'carol', 'rollback'],
    ]);
    expect(JSON.parse(client('models', 'show', '2').stdout)).to.not.have.property('championHistory');
  });

  it('records a move by hand as manual, and shows a challenger with its standing and running comparison', async () => {
    const artifacts = openBlobStore(`file://${dir}`);
    const registry = new ModelRegistry(artifacts);
    const history = JSON.parse(client('models', 'show', 'champion').stdout).championHistory;
    expect(history.every((e: { manual?: boolean }) => e.manual === true)).to.equal(true);
    // A training's decision set the challenger after the last champion move: it stands.
    await registry.setAlias({
      modelName: MODEL,
      alias: 'challenger',
      version: 2,
      expectedSeq: undefined,
      setAt: new Date().toISOString(),
      reason: 'champion v1 kept over v2 (rows 2016-07-01 00:00:00 … 2016-07-31 23:00:00)',
      by: 'training',
      action: 'promote',
    });
    const shown = JSON.parse(client('models', 'show', 'challenger').stdout);
    expect(shown.version).to.equal(2);
    expect(shown.challenger).to.deep.equal({
      standing: true,
      championVersion: 1,
      runningComparison: 'champion v1 kept over v2 (rows 2016-07-01 00:00:00 … 2016-07-31 23:00:00)',
    });
    expect(shown.challengerHistory).to.have.length(1);
    // Promoted by hand: recorded as manual, and the challenger no longer stands.
    client('models', 'promote', '2', '--by', 'dave');
    const after = JSON.parse(client('models', 'show', 'challenger').stdout);
    expect(after.challenger.standing).to.equal(false);
    const last = JSON.parse(client('models', 'show', 'champion').stdout).championHistory.at(-1);
    expect(last).to.include({ version: 2, by: 'dave', manual: true });
  });
});
