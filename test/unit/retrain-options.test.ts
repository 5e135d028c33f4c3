import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Command } from 'commander';
import { expect } from 'chai';
import { addRetrainOptions, retrainInputFrom, type RetrainFlags } from '../../src/cli/retrain-options';

const CLIENT = path.resolve(__dirname, '../../src/client.js');

function parse(args: string[]) {
  const cmd = addRetrainOptions(new Command().exitOverride());
  cmd.parse(args, { from: 'user' });
  return retrainInputFrom(cmd.opts<RetrainFlags>(), {
    dataUri: 'file:///data',
    engine: 'auto',
    trigger: 'ad-hoc',
  });
}

function clientError(args: string[]): { status: number | null; firstLine: string } {
  const result = spawnSync(process.execPath, [CLIENT, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' },
  });
  return { status: result.status, firstLine: result.stderr.trim().split('\n')[0] };
}

describe('retrain options: --training-timeout', () => {
  it('sets the check’s training timeout in minutes, and leaves it to the workflow default when absent', () => {
    expect(parse(['--training-timeout', '45']).trainingTimeoutMinutes).to.equal(45);
    expect(parse([])).to.not.have.property('trainingTimeoutMinutes');
  });

  it('rejects a value that is not a positive integer with one line, for retrain-check and schedule create', () => {
    const cases: [string[], string][] = [
      [['retrain-check'], '0'],
      [['retrain-check'], 'abc'],
      [['schedule', 'create'], '1.5'],
    ];
    for (const [command, bad] of cases) {
      const out = clientError([...command, '--training-timeout', bad]);
      expect(out.status, `${command.join(' ')} ${bad}`).to.equal(1);
      expect(out.firstLine)
        .to.contain('--training-timeout')
        .and.contain(`"${bad}" is not a positive integer`);
    }
  });
});
