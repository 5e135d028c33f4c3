/** The SQL of a Grafana dashboard's panels, and Grafana's SQL macros replaced as Grafana replaces them. */
export interface PanelQuery {
  panel: string;
  sql: string;
}

interface Panel {
  title?: string;
  targets?: { rawSql?: string }[];
  panels?: Panel[];
}

export function dashboardQueries(dashboard: unknown): PanelQuery[] {
  const d = dashboard as {
    panels?: Panel[];
    annotations?: { list?: { name?: string; rawQuery?: string; target?: { rawSql?: string } }[] };
  };
  const out: PanelQuery[] = [];
  const walk = (panels: Panel[] = []) => {
    for (const p of panels) {
      for (const t of p.targets ?? [])
        if (t.rawSql) out.push({ panel: p.title ?? '(untitled)', sql: t.rawSql });
      walk(p.panels);
    }
  };
  walk(d.panels);
  for (const a of d.annotations?.list ?? []) {
    const sql = a.target?.rawSql ?? a.rawQuery;
    if (sql) out.push({ panel: `annotation ${a.name ?? ''}`, sql });
  }
  return out;
}

/**
 * The macros of Grafana's PostgreSQL data source that the dashboards use: $__timeFilter(col),
 * $__timeFrom(), $__timeTo(), $__time(col), and `$var` / `${var}` template variables (quoted strings).
 */
export function substituteGrafanaMacros(
  sql: string,
  o: { from: string; to: string; variables: Record<string, string> },
): string {
  const from = `'${o.from}'::timestamptz`;
  const to = `'${o.to}'::timestamptz`;
  let text = sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, col: string) => `${col.trim()} BETWEEN ${from} AND ${to}`)
    .replace(/\$__timeFrom\(\)/g, from)
    .replace(/\$__timeTo\(\)/g, to)
    .replace(/\$__time\(([^)]+)\)/g, (_, col: string) => `${col.trim()} AS "time"`);
  for (const [name, value] of Object.entries(o.variables)) {
    text = text.replaceAll(`\${${name}}`, value).replaceAll(`$${name}`, value);
  }
  if (/\$\w/.test(text.replace(/\$\d+/g, ''))) throw new Error(`unsubstituted macro or variable in: ${text}`);
  return text;
}
