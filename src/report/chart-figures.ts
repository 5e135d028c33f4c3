import { renderSvg, scopeSvgIds, type ChartRenderer } from './render-svg';
import type { ChartSpec } from './charts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A page's charts, rendered side by side: a figure holds a placeholder (HTML comments cannot come from the
 * escaped data) until every SVG is there; each SVG's ids are its own (scopeSvgIds), so charts rendered on
 * different threads never share one.
 */
export class ChartFigures<Id extends string> {
  private readonly svgs: Promise<string>[] = [];
  constructor(private readonly render: ChartRenderer = renderSvg) {}

  figure(id: Id, title: string, note: string, spec: ChartSpec): string {
    const index = this.svgs.push(this.render(spec)) - 1;
    return `<figure class="chart" data-chart="${id}">
  <figcaption><h3>${escapeHtml(title)}</h3><p>${note}</p></figcaption>
  <!--chart:${index}-->
</figure>`;
  }

  async fill(html: string): Promise<string> {
    const svgs = await Promise.all(this.svgs);
    return html.replace(/<!--chart:(\d+)-->/g, (_, index: string) =>
      scopeSvgIds(svgs[Number(index)], `chart${index}`),
    );
  }
}
