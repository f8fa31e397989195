import { escape } from 'influx';
import { ID_TAG, type Reading } from '@cicenns/contracts';
import type { Detector } from '@cicenns/model';
import { BoundedMemo } from '@cicenns/common';

/** Fields that are integers by nature (bit fields, on/off); every other number is a float. */
const INTEGER_FIELDS = new Set(['status', 'power']);

/** Whether a number is written as an InfluxDB integer (`3i`): the fields that are integers by nature. */
export const isIntegerField = (field: string, v: number): boolean =>
  INTEGER_FIELDS.has(field) && Number.isInteger(v);

/** Series (measurement + tags) seen so far; ids are a few thousand, the cap bounds a bad source. */
const SERIES_CACHE_MAX = 50_000;

/**
 * Readings as InfluxDB lines (docs/DATA.md): measurement = reading kind, tags = identity (pmt with
 * its group and crystal/panel, sensor, crystal), fields = values plus quality/error, timestamp in
 * ms. Escaping comes from node-influx. The series part of a line and the escaped field keys are
 * the same for every reading of a channel, so they are escaped once and kept.
 */
export class LineEncoder {
  private readonly series = new BoundedMemo<string, string>(SERIES_CACHE_MAX, (key) =>
    this.escapeSeries(key),
  );
  private readonly fieldKeys = new BoundedMemo<string, string>(SERIES_CACHE_MAX, (k) => escape.tag(k));

  constructor(private readonly detector: Detector) {}

  /** The series part of a subject's lines: measurement and tags, escaped. */
  seriesOf(m: Reading['m'], id: string): string {
    return this.series.get(`${m}\u0000${id}`);
  }

  encode(r: Reading): string {
    let line = `${this.seriesOf(r.m, r.id)} ${this.fieldsOf(r.fields)}`;
    line += r.quality === 'good' ? 'quality="good"' : `quality=${escape.quoted(r.quality)}`;
    if (r.error) line += `,error=${escape.quoted(r.error)}`;
    return `${line} ${Math.round(r.ts)}`;
  }

  /** Some fields of a subject's point at ts, without quality (set-values.ts: merged into a stored point). */
  encodeFields(m: Reading['m'], id: string, fields: Reading['fields'], ts: number): string {
    const f = this.fieldsOf(fields);
    return `${this.seriesOf(m, id)} ${f.slice(0, -1)} ${Math.round(ts)}`;
  }

  /** `k=v,` for each field (the trailing comma included). */
  private fieldsOf(fields: Reading['fields']): string {
    let line = '';
    for (const k in fields) {
      const v = fields[k];
      line += this.fieldKeys.get(k);
      if (typeof v === 'number') line += isIntegerField(k, v) ? `=${v}i,` : `=${v},`;
      else if (typeof v === 'boolean') line += `=${v},`;
      else line += `=${escape.quoted(v)},`;
    }
    return line;
  }

  /** key: measurement NUL id */
  private escapeSeries(key: string): string {
    const [m, id] = key.split('\u0000') as [Reading['m'], string];
    let s = escape.measurement(m);
    const tag = ID_TAG[m];
    if (tag) {
      s += `,${tag}=${escape.tag(id)}`;
      if (tag === 'pmt') {
        const pmt = this.detector.pmt(id);
        if (pmt) s += `,group=${pmt.group},parent=${escape.tag(pmt.parentId)}`;
      }
    }
    return s;
  }
}
