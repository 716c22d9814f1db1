/**
 * Just enough of PromQL to list the metric names an expression reads: strings, label matchers, ranges, label
 * lists after by/without/on/ignoring/group_left/group_right, numbers and durations are skipped; an identifier
 * followed by `(` is a function or aggregation; the rest that is not a keyword is a metric name.
 */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'atan2']);
const LABEL_LIST = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;

export function metricNamesIn(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(LABEL_LIST, ' ');
  const names = new Set<string>();
  const token = /(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[a-zA-Z]*)|([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g;
  for (let match = token.exec(stripped); match !== null; match = token.exec(stripped)) {
    const [, number, identifier, call] = match;
    if (number !== undefined || call !== undefined || KEYWORDS.has(identifier.toLowerCase())) continue;
    names.add(identifier);
  }
  return [...names];
}

/** The series names a Prometheus text exposition holds: each `# TYPE` family, histograms and summaries expanded. */
export function seriesNamesExported(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/** Every string under a key named `expr`, anywhere in a JSON value (a Grafana dashboard's panel targets). */
export function exprFieldsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(exprFieldsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => (key === 'expr' && typeof inner === 'string' ? [inner] : exprFieldsIn(inner)));
}

interface GrafanaVariable {
  name: string;
  includeAll?: boolean;
  allValue?: string;
  current?: { value?: unknown };
}

/** Grafana's interval variables, as Prometheus would see them once Grafana has filled them in. */
const GRAFANA_BUILTINS: Record<string, string> = { __rate_interval: '1m', __interval: '1m', __range: '1h' };

/**
 * The expression with every Grafana variable replaced as Grafana would: builtins by a duration, a template
 * variable by its "All" value, or by its current value. An unknown variable throws.
 */
export function withGrafanaVariables(expression: string, dashboard: { templating?: { list?: GrafanaVariable[] } }): string {
  const variables = new Map((dashboard.templating?.list ?? []).map((variable) => [variable.name, variable]));
  return expression.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (text, braced?: string, bare?: string, bracketed?: string) => {
    const name = braced ?? bare ?? bracketed ?? '';
    if (name in GRAFANA_BUILTINS) return GRAFANA_BUILTINS[name];
    const variable = variables.get(name);
    const value = variable?.includeAll === true ? variable.allValue : variable?.current?.value;
    if (typeof value !== 'string') throw new Error(`${text} in "${expression}" is not a dashboard variable with a value`);
    return value;
  });
}
