/**
 * Panel shapes the dashboards use, on the SDK's builders: a time series with threshold lines, a
 * status timeline, a stat and a table, each with a unit and its InfluxQL targets.
 */
import {
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  VisibilityMode,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  ThresholdsConfigBuilder,
  type GridPos,
  type ThresholdsConfig,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { DATASOURCE } from './common';
import type { InfluxQlBuilder } from './influxql';

export interface PanelSpec {
  title: string;
  description: string;
  /** a Grafana unit id (units.ts) */
  unit: string;
  pos: GridPos;
  targets: InfluxQlBuilder[];
  /** Grafana's smallest $__interval for this panel, e.g. '1m' for a rate of change */
  minInterval?: string;
}

/** A legend table on the right with each series' last value: many PMTs per panel. */
function legend(): VizLegendOptionsBuilder {
  return new VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(LegendDisplayMode.Table)
    .placement(LegendPlacement.Right)
    .calcs(['lastNotNull']);
}

function refIds(targets: InfluxQlBuilder[]): InfluxQlBuilder[] {
  // A, B, ... Z, AA, AB, ...: unique within the panel, as Grafana needs
  const letter = (n: number) => String.fromCharCode(65 + n);
  return targets.map((t, i) => t.refId(i < 26 ? letter(i) : letter(Math.floor(i / 26) - 1) + letter(i % 26)));
}

/** A per-series override: the series named `name` gets its own threshold lines (alarm overrides). */
export interface SeriesThresholds {
  name: string;
  thresholds: ThresholdsConfig;
}

export function timeSeries(
  s: PanelSpec & {
    thresholds?: ThresholdsConfig;
    perSeries?: SeriesThresholds[];
    /** series whose names match get a dashed line (expected values, alarm levels) */
    dashed?: { regex: string; color?: string }[];
  },
): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(s.title)
    .description(s.description)
    .datasource(DATASOURCE)
    .gridPos(s.pos)
    .unit(s.unit)
    .legend(legend())
    .targets(refIds(s.targets));
  if (s.minInterval) p.interval(s.minInterval);
  if (s.thresholds) {
    p.thresholds(
      new ThresholdsConfigBuilder().mode(s.thresholds.mode).steps(s.thresholds.steps),
    ).thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed));
  }
  for (const o of s.perSeries ?? []) {
    p.overrideByName(o.name, [
      { id: 'thresholds', value: o.thresholds },
      { id: 'custom.thresholdsStyle', value: { mode: GraphThresholdsStyleMode.Dashed } },
    ]);
  }
  for (const d of s.dashed ?? []) {
    p.overrideByRegexp(d.regex, [
      { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
      ...(d.color ? [{ id: 'color', value: { mode: 'fixed', fixedColor: d.color } }] : []),
    ]);
  }
  return p;
}

export function stateTimeline(s: PanelSpec & { mappings: ValueMapping[] }): statetimeline.PanelBuilder {
  return new statetimeline.PanelBuilder()
    .title(s.title)
    .description(s.description)
    .datasource(DATASOURCE)
    .gridPos(s.pos)
    .unit(s.unit)
    .mappings(s.mappings)
    .showValue(VisibilityMode.Never)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom),
    )
    .targets(refIds(s.targets));
}

export function statPanel(
  s: PanelSpec & { thresholds?: ThresholdsConfig; mappings?: ValueMapping[] },
): stat.PanelBuilder {
  const p = new stat.PanelBuilder()
    .title(s.title)
    .description(s.description)
    .datasource(DATASOURCE)
    .gridPos(s.pos)
    .unit(s.unit)
    .targets(refIds(s.targets));
  if (s.thresholds)
    p.thresholds(new ThresholdsConfigBuilder().mode(s.thresholds.mode).steps(s.thresholds.steps));
  if (s.mappings) p.mappings(s.mappings);
  return p;
}

export function tablePanel(
  s: PanelSpec & {
    mappings?: ValueMapping[];
    /** value mappings of one column */
    overrides?: { name: string; mappings: ValueMapping[] }[];
    transformations?: { id: string; options: unknown }[];
  },
): table.PanelBuilder {
  const p = new table.PanelBuilder()
    .title(s.title)
    .description(s.description)
    .datasource(DATASOURCE)
    .gridPos(s.pos)
    .unit(s.unit)
    .targets(refIds(s.targets.map((t) => t.table())));
  if (s.mappings) p.mappings(s.mappings);
  for (const o of s.overrides ?? []) p.overrideByName(o.name, [{ id: 'mappings', value: o.mappings }]);
  for (const t of s.transformations ?? []) p.withTransformation(t);
  return p;
}
