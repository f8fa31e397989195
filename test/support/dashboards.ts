import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ROOT } from './processes';

/** The part of Grafana's dashboard JSON model that we rely on, checked strictly. */
const target = z.object({
  refId: z.string(),
  rawQuery: z.literal(true),
  query: z.string().min(1),
  datasource: z.object({ type: z.literal('influxdb'), uid: z.string() }),
  alias: z.string().optional(),
});
const gridPos = z.object({
  x: z.number().int().min(0).max(23),
  y: z.number().int().min(0),
  w: z.number().int().min(1).max(24),
  h: z.number().int().min(1),
});
const threshold = z.object({ value: z.number().nullable(), color: z.string() });
const thresholds = z.object({ mode: z.literal('absolute'), steps: z.array(threshold).min(1) });
const override = z.object({
  matcher: z.object({ id: z.string(), options: z.unknown() }),
  properties: z.array(z.object({ id: z.string(), value: z.unknown() })),
});
const dataPanel = z.object({
  id: z.number().int(),
  type: z.enum(['timeseries', 'stat', 'table', 'state-timeline']),
  title: z.string().min(1),
  description: z.string().min(1),
  datasource: z.object({ type: z.literal('influxdb'), uid: z.string() }),
  gridPos,
  interval: z.string().optional(),
  fieldConfig: z.object({
    defaults: z.object({ unit: z.string().min(1), thresholds: thresholds.optional() }).passthrough(),
    overrides: z.array(override),
  }),
  targets: z.array(target).min(1),
});
const rowPanel = z.object({
  id: z.number().int(),
  type: z.literal('row'),
  title: z.string().min(1),
  gridPos,
});
const variable = z.object({
  name: z.string(),
  type: z.literal('query'),
  query: z.string(),
  datasource: z.object({ type: z.literal('influxdb'), uid: z.string() }),
  current: z.object({ value: z.union([z.string(), z.array(z.string())]) }),
});
export const dashboardSchema = z.object({
  uid: z.string().min(1),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(30),
  templating: z.object({ list: z.array(variable) }),
  annotations: z.object({
    list: z.array(
      z.object({
        name: z.string(),
        datasource: z.object({ uid: z.string() }),
        target: target.partial({ refId: true }),
      }),
    ),
  }),
  panels: z.array(z.discriminatedUnion('type', [dataPanel, rowPanel])).min(1),
});
export type Dashboard = z.infer<typeof dashboardSchema>;
export type DataPanel = z.infer<typeof dataPanel>;

export function dashboardFiles(): string[] {
  const dir = join(ROOT, 'dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(dir, f));
}

export function loadDashboard(file: string): Dashboard {
  return dashboardSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

export function dataPanels(d: Dashboard): DataPanel[] {
  return d.panels.filter((p): p is DataPanel => p.type !== 'row');
}

/** Grafana's regex escaping of a variable value in an InfluxQL regex. */
const escapeRegex = (v: string) => v.replace(/[\\^$*+?.()|{}[\]/]/g, '\\$&');

/**
 * A query as Grafana sends it to InfluxDB: $timeFilter, $__interval and template variables
 * substituted (a multi-value variable in a regex as (a|b|c), $rp as its single value). A
 * variable the dashboard does not define is an error, not left in the query.
 */
export function substitute(
  query: string,
  values: Map<string, string[]>,
  o: { range: string; interval: string },
): string {
  return query
    .replace(/\$timeFilter/g, `time > now() - ${o.range}`)
    .replace(/\$__interval/g, o.interval)
    .replace(/\$\{?(\w+)\}?/g, (_m, name: string) => {
      const v = values.get(name);
      if (!v) throw new Error(`variable $${name} is not defined (query: ${query})`);
      return name === 'rp' ? v[0] : `(${v.map((x) => (x === '.*' ? x : escapeRegex(x))).join('|')})`;
    });
}

/** Every panel query with the variables as given (default: $rp its default, others .*): for a quick check. */
export function panelQueries(
  d: Dashboard,
  range = '1h',
  interval = '10s',
  values?: Map<string, string[]>,
): { panel: string; query: string }[] {
  const vals =
    values ??
    new Map(d.templating.list.map((v) => [v.name, v.name === 'rp' ? [String(v.current.value)] : ['.*']]));
  return dataPanels(d).flatMap((p) =>
    p.targets.map((t) => ({
      panel: p.title,
      query: substitute(t.query, vals, { range, interval: p.interval ?? interval }),
    })),
  );
}
