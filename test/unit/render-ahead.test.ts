import { expect } from 'chai';
import type { ChartSpec } from '../../src/report/charts';
import { renderAhead } from '../../src/report/render-ahead';

describe('renderAhead: charts started before the page asks for them', () => {
  const spec = (n: number): ChartSpec => ({ mark: 'point', data: { values: [{ n }] } });

  it('hands over a started chart once, and renders anything else when asked', async () => {
    const calls: number[] = [];
    const ahead = renderAhead(async (s) => {
      const n = (s.data as { values: { n: number }[] }).values[0].n;
      calls.push(n);
      return `<svg>${n}</svg>`;
    });
    ahead.start([spec(1), spec(2)]);
    expect(calls).to.deep.equal([1, 2]);
    // An equal spec built anew (as the page builds its own) gets the started rendering.
    expect(await ahead.render(spec(2))).to.equal('<svg>2</svg>');
    expect(await ahead.render(spec(3))).to.equal('<svg>3</svg>');
    expect(calls).to.deep.equal([1, 2, 3]);
    // Handed over once: a second page renders it again.
    expect(await ahead.render(spec(2))).to.equal('<svg>2</svg>');
    expect(calls).to.deep.equal([1, 2, 3, 2]);
  });

  it('passes a started chart’s failure to the page, and a failure never asked for is no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const ahead = renderAhead(() => Promise.reject(new Error('vega failed')));
      ahead.start([spec(1), spec(2)]);
      let error: unknown;
      await ahead.render(spec(1)).catch((err: unknown) => (error = err));
      expect(String(error)).to.contain('vega failed');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).to.deep.equal([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
