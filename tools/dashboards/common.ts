/**
 * What every dashboard shares: the InfluxDB data source by its fixed uid, a query per retention
 * tier (tiers.ts), the alarm transitions as annotations, and a small grid layout.
 */
import {
  AnnotationQueryBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
  type DashboardBuilder,
  type GridPos,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { InfluxQlBuilder } from './influxql';
import { tiersOf, type Tier } from './tiers';
import { LEVEL_COLOURS } from './thresholds';
import type { DashboardInput } from './input';

/** deploy/grafana/provisioning/datasources/cicenns.yaml provisions the data source with this uid. */
export const DATASOURCE_UID = 'cicenns-influxdb';
export const DATASOURCE: DataSourceRef = { type: 'influxdb', uid: DATASOURCE_UID };

export function influxql(query: string): InfluxQlBuilder {
  return new InfluxQlBuilder(query, DATASOURCE);
}

/** The query for each retention tier: two targets, of which the time range makes one answer. */
export function perTier(
  input: DashboardInput,
  query: (t: Tier) => InfluxQlBuilder | InfluxQlBuilder[],
): InfluxQlBuilder[] {
  const { tiers, setValuesKeyframeMs } = input.system.app.influx;
  return tiersOf(tiers, setValuesKeyframeMs).flatMap(query);
}

/** The raw tier, for what only it holds (the alarm journal's texts) and for tag values. */
export function rawTier(input: DashboardInput): Tier {
  return tiersOf(input.system.app.influx.tiers)[0];
}

/** A tag's values as a multi-select variable with "All" (e.g. pmt, parent, sensor). */
export function tagVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .multi(true)
    .includeAll(true)
    .current({ text: 'All', value: '$__all', selected: true })
    .sort(VariableSort.NaturalAsc)
    .refresh(VariableRefresh.OnTimeRangeChanged);
}

/**
 * Every journal event of the alarm service (raise, clear, ack, shelve...) as an annotation. From
 * the raw tier whatever the range: the aggregates keep only counts of a journal's strings.
 */
export function alarmAnnotations(input: DashboardInput): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Alarm transitions')
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor(LEVEL_COLOURS.alarm)
    .target(
      influxql(
        `SELECT "message", "alarm", "action", "severity", "state" FROM ${rawTier(input).from('alarm')} WHERE $timeFilter`,
      )
        .refId('alarms')
        .table()
        .annotationColumns({ text: 'message', tags: 'alarm,action,severity,state', title: 'alarm' }),
    );
}

/** Panels left to right in rows of 24 columns; a new row when the next one does not fit. */
export class Grid {
  private x = 0;
  private y = 0;
  private rowHeight = 0;

  place(w: number, h: number): GridPos {
    if (this.x + w > 24) this.newRow();
    const pos = { x: this.x, y: this.y, w, h };
    this.x += w;
    this.rowHeight = Math.max(this.rowHeight, h);
    return pos;
  }

  /** A collapsed-free row header takes one unit of height. */
  row(): GridPos {
    this.newRow();
    const pos = { x: 0, y: this.y, w: 24, h: 1 };
    this.y += 1;
    return pos;
  }

  private newRow(): void {
    if (this.x > 0) this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }
}

/** uid, title, tags and defaults every CICENNS dashboard has. */
export function standard(d: DashboardBuilder, input: DashboardInput): DashboardBuilder {
  return d
    .tags(['cicenns', 'generated'])
    .timezone('browser')
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .readonly()
    .annotation(alarmAnnotations(input));
}
