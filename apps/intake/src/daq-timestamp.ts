/**
 * The `ts` of a DAQ message (SPEC 2.3): epoch milliseconds, or ISO-8601 with a date, a time and
 * a zone. Strict where Date.parse is lenient: Date.parse takes "2026-11-31" as 1 December and
 * reads a time without a zone in the server's local zone (8 h off at CSNS).
 */
export type ParsedTimestamp = { ms: number } | { error: string };

// date T hh:mm[:ss[.fraction]] zone; lower-case t/z are allowed by RFC 3339
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

export function parseTimestamp(ts: number | string): ParsedTimestamp {
  if (typeof ts === 'number') {
    return Number.isFinite(ts) ? { ms: Math.round(ts) } : { error: 'not a finite number' };
  }
  const m = ISO.exec(ts);
  if (!m) return { error: 'not epoch ms or ISO-8601 (YYYY-MM-DDThh:mm:ss with a zone)' };
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  if (zone === undefined) return { error: 'ISO-8601 time without a zone (add Z or +08:00)' };
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return { error: 'no such day' };
  if (hour > 23 || minute > 59 || second > 59) return { error: 'no such time of day' };
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', ''); // "08", "0800"
    const [oh, om] = [Number(digits.slice(0, 2)), Number(digits.slice(2) || '0')];
    if (oh > 23 || om > 59) return { error: 'no such zone offset' };
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0-99 as 1900-1999
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  const ms = utc.getTime() + Math.round(Number(`0${frac}`) * 1000);
  return { ms: ms - offsetMin * 60_000 };
}

function daysIn(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0); // day 0 of the next month: the last day of this one
  return d.getUTCDate();
}

/** An epoch-ms value as text, without throwing where Date#toISOString would (|ms| > 8.64e15). */
export function describeMs(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
}
