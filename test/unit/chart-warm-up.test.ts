import { expect } from 'chai';
import { createChartPool } from '../../src/report/chart-pool';
import { WARM_UP_PASSES, warmUpCharts } from '../../src/report/chart-warm-up';
import { renderSvg } from '../../src/report/render-svg';

describe('chart threads warm up before the first report', function () {
  this.timeout(120_000);

  it('renders one chart of each kind a run report draws (drift aside), each a real SVG', async () => {
    const charts = warmUpCharts();
    expect(charts.map((c) => c.kind)).to.deep.equal([
      'convergence',
      'parameters',
      'importance',
      'beeswarm',
      'week',
      'month',
      'hour × day',
    ]);
    for (const { spec } of charts) {
      const svg = await renderSvg(spec);
      expect(svg).to.match(/^<svg[^>]* width="\d+"/);
      // Marks were drawn, not an empty frame.
      expect(svg.length).to.be.greaterThan(5_000);
    }
  });

  it('a pool is ready once every one of its threads has loaded the libraries and rendered its warm-up charts', async () => {
    const pool = createChartPool({ threads: 2 });
    try {
      const ready = await pool.ready();
      expect(ready).to.have.length(2);
      expect(new Set(ready.map((r) => r.threadId)).size).to.equal(2);
      for (const thread of ready)
        expect(thread.warmUpCharts).to.equal(WARM_UP_PASSES * warmUpCharts().length);
      // And renders as on this thread.
      const [{ spec }] = warmUpCharts();
      expect(await pool.render(spec)).to.equal(await renderSvg(spec));
    } finally {
      await pool.close();
    }
  });
});
