/**
 * All dashboards, generated from the model: file name -> Grafana dashboard JSON model. Pure: the
 * same configuration gives the same output (the staleness test depends on it).
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { environmentDashboard } from './boards/environment';
import { hvDashboard } from './boards/hv';
import { overviewDashboard } from './boards/overview';
import { pmtHealthDashboard } from './boards/pmt-health';
import { systemDashboard } from './boards/system';
import type { DashboardInput } from './input';

const BOARDS = {
  'detector-overview.json': overviewDashboard,
  'hv.json': hvDashboard,
  'pmt-health.json': pmtHealthDashboard,
  'environment.json': environmentDashboard,
  'system.json': systemDashboard,
};

export function generateDashboards(input: DashboardInput): Map<string, Dashboard> {
  const out = new Map<string, Dashboard>();
  for (const [file, board] of Object.entries(BOARDS)) {
    const d = board(input).build();
    // Panel ids in layout order: stable across runs and unique within the dashboard
    let id = 1;
    for (const p of d.panels ?? []) {
      p.id = id++;
      for (const inner of (p as { panels?: { id?: number }[] }).panels ?? []) inner.id = id++;
    }
    out.set(file, d);
  }
  return out;
}

/** The JSON text of a dashboard as committed (prettier formats it in main.ts). */
export function dashboardJson(d: Dashboard): string {
  return JSON.stringify(d, null, 2) + '\n';
}
