import { expect } from 'chai';
import { availableParallelism } from 'node:os';
import { loadServeConfig } from '../../src/serve/serve-config';

describe('prediction service settings', () => {
  it('runs one process per CPU by default; SERVE_PROCESSES takes a count or auto', () => {
    expect(loadServeConfig({}).processes).to.equal(availableParallelism());
    expect(loadServeConfig({ SERVE_PROCESSES: 'auto' }).processes).to.equal(availableParallelism());
    expect(loadServeConfig({ SERVE_PROCESSES: '1' }).processes).to.equal(1);
    expect(loadServeConfig({ SERVE_PROCESSES: '3' }).processes).to.equal(3);
  });

  it('rejects a process count that is not a positive whole number, naming the setting', () => {
    for (const bad of ['0', '-1', '1.5', 'many'])
      expect(() => loadServeConfig({ SERVE_PROCESSES: bad }), bad).to.throw(/SERVE_PROCESSES/);
  });
});
