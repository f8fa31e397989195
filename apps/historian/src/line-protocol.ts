import { escape } from 'influx';
import { ID_TAG, type Reading } from '@cicenns/bus';
import type { Detector } from '@cicenns/model';

/** Fields that are integers by nature (bit fields, on/off); every other number is a float. */
const INTEGER_FIELDS = new Set(['status', 'power']);

/**
 * One reading as an InfluxDB line (docs/DATA.md): measurement = reading kind, tags = identity
 * (pmt with its group and crystal/panel, sensor, crystal), fields = values plus quality/error,
 * timestamp in ms. Escaping comes from node-influx.
 */
export function toLine(r: Reading, detector: Detector): string {
  let line = escape.measurement(r.m);
  const tag = ID_TAG[r.m];
  if (tag) {
    line += `,${tag}=${escape.tag(r.id)}`;
    if (tag === 'pmt') {
      const pmt = detector.pmt(r.id);
      if (pmt) line += `,group=${pmt.group},parent=${escape.tag(pmt.parentId)}`;
    }
  }
  const fields: string[] = [];
  for (const [k, v] of Object.entries(r.fields)) {
    const key = escape.tag(k);
    if (typeof v === 'number')
      fields.push(`${key}=${INTEGER_FIELDS.has(k) && Number.isInteger(v) ? `${v}i` : v}`);
    else if (typeof v === 'boolean') fields.push(`${key}=${v}`);
    else fields.push(`${key}=${escape.quoted(v)}`);
  }
  fields.push(`quality=${escape.quoted(r.quality)}`);
  if (r.error) fields.push(`error=${escape.quoted(r.error)}`);
  return `${line} ${fields.join(',')} ${Math.round(r.ts)}`;
}
