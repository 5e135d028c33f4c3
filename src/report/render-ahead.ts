import type { ChartSpec } from './charts';
import type { ChartRenderer } from './render-svg';

export interface RenderAhead {
  /** Starts rendering these specs now. */
  start(specs: readonly ChartSpec[]): void;
  /** Renders a spec, or hands over the rendering started for an equal one. */
  render: ChartRenderer;
}

/**
 * A renderer that can start charts before the page that holds them is built, so they render while the rest of
 * the page's data is still being computed. Specs are matched by their JSON, so the page builds its own specs
 * as if nothing had been started.
 */
export function renderAhead(render: ChartRenderer): RenderAhead {
  const started = new Map<string, Promise<string>>();
  return {
    start(specs) {
      for (const spec of specs) {
        const svg = render(spec);
        // Settled by the page's render, or never asked for: either way not an unhandled rejection.
        svg.catch(() => undefined);
        started.set(JSON.stringify(spec), svg);
      }
    },
    render(spec) {
      if (started.size === 0) return render(spec);
      const key = JSON.stringify(spec);
      const svg = started.get(key);
      if (!svg) return render(spec);
      started.delete(key);
      return svg;
    },
  };
}
