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
  // a dashboard without variables has no templating at all
  templating: z.object({ list: z.array(variable).default([]) }),
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

/** A dashboard time range in epoch ms and the panel's $__interval (e.g. '2s'). */
export interface GrafanaRange {
  from: number;
  to: number;
  interval: string;
}

const INTERVAL_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
function intervalMs(interval: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(interval);
  if (!m) throw new Error(`not a Grafana interval: ${interval}`);
  return Number(m[1]) * INTERVAL_MS[m[2] as keyof typeof INTERVAL_MS];
}

/**
 * A query as Grafana sends it to InfluxDB: $timeFilter, $__interval(_ms), the built-in
 * ${__from}, ${__to} (epoch ms) and ${__from:date:iso}, and template variables substituted (a
 * multi-value variable in a regex as (a|b|c)). A variable the dashboard does not define is an
 * error, not left in the query.
 */
export function substitute(query: string, values: Map<string, string[]>, r: GrafanaRange): string {
  return query
    .replace(/\$timeFilter/g, `time >= ${r.from}ms and time <= ${r.to}ms`)
    .replace(/\$__interval_ms/g, String(intervalMs(r.interval)))
    .replace(/\$__interval/g, r.interval)
    .replace(/\$\{__from:date:iso\}/g, new Date(r.from).toISOString())
    .replace(/\$\{__(from|to)\}/g, (_m, which: string) => String(which === 'from' ? r.from : r.to))
    .replace(/\$\{?(\w+)\}?/g, (_m, name: string) => {
      const v = values.get(name);
      if (!v) throw new Error(`variable $${name} is not defined (query: ${query})`);
      return `(${v.map((x) => (x === '.*' ? x : escapeRegex(x))).join('|')})`;
    });
}
