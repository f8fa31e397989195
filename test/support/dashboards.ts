import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ROOT } from './processes';

/** The part of Grafana's dashboard JSON model that we rely on, checked strictly. */
const target = z.object({ refId: z.string(), rawQuery: z.literal(true), query: z.string().min(1) });
const panel = z.object({
  id: z.number().int(),
  type: z.enum(['timeseries', 'stat', 'table', 'state-timeline', 'bargauge', 'text']),
  title: z.string().min(1),
  datasource: z.object({ type: z.literal('influxdb'), uid: z.string() }),
  gridPos: z.object({
    x: z.number().int().min(0).max(23),
    y: z.number().int().min(0),
    w: z.number().int().min(1).max(24),
    h: z.number().int().min(1),
  }),
  targets: z.array(target).min(1),
});
export const dashboardSchema = z.object({
  uid: z.string().min(1),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(30),
  templating: z.object({ list: z.array(z.object({ name: z.string(), query: z.string() })) }),
  panels: z.array(panel).min(1),
});
export type Dashboard = z.infer<typeof dashboardSchema>;

export function dashboardFiles(): string[] {
  const dir = join(ROOT, 'dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(dir, f));
}

export function loadDashboard(file: string): Dashboard {
  return dashboardSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/**
 * Every panel query as InfluxDB will see it from Grafana: $timeFilter, $__interval and template
 * variables (all values) substituted the way Grafana does.
 */
export function panelQueries(
  d: Dashboard,
  range = '1h',
  interval = '10s',
): { panel: string; query: string }[] {
  return d.panels.flatMap((p) =>
    p.targets.map((t) => ({
      panel: p.title,
      query: t.query
        .replace(/\$timeFilter/g, `time > now() - ${range}`)
        .replace(/\$__interval/g, interval)
        .replace(/\/\^\$(\w+)\$\//g, '/^.*$/'),
    })),
  );
}
