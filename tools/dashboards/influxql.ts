/**
 * A typed InfluxQL target for the Foundation SDK, which ships no InfluxDB query type: the SDK's
 * documented way for other data sources (a Dataquery variant and its Builder). Raw InfluxQL
 * (`rawQuery: true`), as the InfluxDB data source stores it, plus the few literals the queries
 * need, each checked so a name that would break the query fails at generation.
 */
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { DashboardInputError } from './errors';

export interface InfluxQlQuery extends Dataquery {
  refId?: string;
  hide?: boolean;
  datasource?: DataSourceRef;
  rawQuery: true;
  query: string;
  resultFormat: 'time_series' | 'table';
  /** series name: $tag_pmt, $col, $m (InfluxDB data source alias patterns) */
  alias?: string;
  /** annotation queries: which columns give the text, the tags and the title */
  fromAnnotations?: boolean;
  textColumn?: string;
  tagsColumn?: string;
  titleColumn?: string;
}

export class InfluxQlBuilder implements Builder<Dataquery> {
  private readonly internal: InfluxQlQuery;

  constructor(query: string, datasource: DataSourceRef) {
    this.internal = {
      datasource,
      rawQuery: true,
      query,
      resultFormat: 'time_series',
      _implementsDataqueryVariant() {},
    };
  }

  build(): InfluxQlQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  table(): this {
    this.internal.resultFormat = 'table';
    return this;
  }

  annotationColumns(c: { text: string; tags: string; title?: string }): this {
    this.internal.fromAnnotations = true;
    this.internal.textColumn = c.text;
    this.internal.tagsColumn = c.tags;
    if (c.title) this.internal.titleColumn = c.title;
    return this;
  }
}

/** Inventory names as the model allows them (docs/DATA.md "Names"): no quoting needed, only '.' is a regex metacharacter. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

/** A name the generator puts into a query: checked, so a stray quote or slash cannot break or widen it. */
export function checkedName(kind: string, name: string): string {
  if (!SAFE_NAME.test(name)) {
    throw new DashboardInputError(
      `${kind} ${JSON.stringify(name)}`,
      'not expressible in InfluxQL without escaping: a name is 1-40 letters, digits, _ . -, starting with a letter or digit',
    );
  }
  return name;
}

/** 'CsI01-A' as an InfluxQL string literal. */
export function str(kind: string, name: string): string {
  return `'${checkedName(kind, name)}'`;
}

/** /^(a|b\.c)$/ matching exactly these names. */
export function oneOf(kind: string, names: readonly string[]): string {
  if (names.length === 0) throw new DashboardInputError(kind, 'an empty set of names has no regex');
  const parts = names.map((n) => checkedName(kind, n).replace(/\./g, '\\.'));
  return `/^(${parts.join('|')})$/`;
}

/** A number in a query (a calibration constant, a factor): finite, written so InfluxQL parses it. */
export function num(what: string, value: number): string {
  if (!Number.isFinite(value)) throw new DashboardInputError(what, `${value} is not a finite number`);
  if (Math.abs(value) >= 1e21)
    throw new DashboardInputError(what, `${value} is too large for an InfluxQL literal`);
  // InfluxQL has no exponent notation: 3.6e-7 is written out
  const s = String(value);
  return /e/i.test(s) ? value.toFixed(20).replace(/0+$/, '') : s;
}
