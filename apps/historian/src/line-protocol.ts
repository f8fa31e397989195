import { escape } from 'influx';
import { ID_TAG, type Reading } from '@cicenns/bus';
import type { Detector } from '@cicenns/model';

/** Fields that are integers by nature (bit fields, on/off); every other number is a float. */
const INTEGER_FIELDS = new Set(['status', 'power']);

/** Series (measurement + tags) seen so far; ids are a few thousand, the cap bounds a bad source. */
const SERIES_CACHE_MAX = 50_000;

/**
 * Readings as InfluxDB lines (docs/DATA.md): measurement = reading kind, tags = identity (pmt with
 * its group and crystal/panel, sensor, crystal), fields = values plus quality/error, timestamp in
 * ms. Escaping comes from node-influx. The series part of a line and the escaped field keys are
 * the same for every reading of a channel, so they are escaped once and kept.
 */
export class LineEncoder {
  private readonly series = new Map<string, string>();
  private readonly fieldKeys = new Map<string, string>();

  constructor(private readonly detector: Detector) {}

  encode(r: Reading): string {
    let line = `${this.seriesOf(r)} `;
    for (const k in r.fields) {
      const v = r.fields[k];
      line += this.fieldKey(k);
      if (typeof v === 'number') line += INTEGER_FIELDS.has(k) && Number.isInteger(v) ? `=${v}i,` : `=${v},`;
      else if (typeof v === 'boolean') line += `=${v},`;
      else line += `=${escape.quoted(v)},`;
    }
    line += r.quality === 'good' ? 'quality="good"' : `quality=${escape.quoted(r.quality)}`;
    if (r.error) line += `,error=${escape.quoted(r.error)}`;
    return `${line} ${Math.round(r.ts)}`;
  }

  private seriesOf(r: Reading): string {
    const key = `${r.m}\u0000${r.id}`;
    let s = this.series.get(key);
    if (s === undefined) {
      if (this.series.size >= SERIES_CACHE_MAX) this.series.clear();
      s = this.escapeSeries(r);
      this.series.set(key, s);
    }
    return s;
  }

  private escapeSeries(r: Reading): string {
    let s = escape.measurement(r.m);
    const tag = ID_TAG[r.m];
    if (tag) {
      s += `,${tag}=${escape.tag(r.id)}`;
      if (tag === 'pmt') {
        const pmt = this.detector.pmt(r.id);
        if (pmt) s += `,group=${pmt.group},parent=${escape.tag(pmt.parentId)}`;
      }
    }
    return s;
  }

  private fieldKey(k: string): string {
    let e = this.fieldKeys.get(k);
    if (e === undefined) {
      if (this.fieldKeys.size >= SERIES_CACHE_MAX) this.fieldKeys.clear();
      e = escape.tag(k);
      this.fieldKeys.set(k, e);
    }
    return e;
  }
}

/** One reading as a line (tests and one-off use; the historian keeps a LineEncoder). */
export function toLine(r: Reading, detector: Detector): string {
  return new LineEncoder(detector).encode(r);
}
