import { escape } from 'influx';
import type { ServiceHealth } from '@cicenns/contracts';

/** At most this many numeric fields in one `service` point: a runaway report cannot flood a series. */
export const MAX_SERVICE_FIELDS = 100;
/** A field or service name InfluxQL reads without quoting tricks (the dashboards' rule, longer). */
const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const SAFE_SERVICE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;
/** A report older than this, or this far ahead, is not written: a stale retained message of a service gone for good */
const MAX_AGE_MS = 24 * 3600_000;
const MAX_AHEAD_MS = 5 * 60_000;

export type ServicePoint =
  | {
      ok: true;
      line: string;
      /** the line's series (measurement and tags), its fields and ts: for the aggregate tier */
      series: string;
      values: Record<string, number | string>;
      ts: number;
      fields: number;
      skipped: number;
    }
  | { ok: false; reason: string };

/** camelCase and other separators to snake_case: backlogLines -> backlog_lines, unknown-pmt -> unknown_pmt */
function snake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .toLowerCase();
}

/**
 * The numeric figures of a health report, flattened (docs/DATA.md, measurement `service`):
 * counters as they are named (snake_case), refused messages as rejects_<reason>, refused entries
 * as rejected_entries_<reason>, warnings as warnings_<reason>, the historian's spool age as
 * backlog_oldest_ms, and the poller's poll latency per device as sweep_ms_<device>.
 */
function figures(h: ServiceHealth): [string, unknown][] {
  const out: [string, unknown][] = [];
  const add = (prefix: string, by: Record<string, unknown> | undefined) => {
    for (const [k, v] of Object.entries(by ?? {})) out.push([`${prefix}${snake(k)}`, v]);
  };
  add('', h.counters);
  add('rejects_', h.rejects);
  add('rejected_entries_', h.rejectedEntries);
  add('warnings_', h.warnings);
  const detail = h.detail ?? {};
  if ('backlogOldestMs' in detail) out.push(['backlog_oldest_ms', detail.backlogOldestMs]);
  const devices = detail.devices;
  if (devices && typeof devices === 'object') {
    for (const [id, d] of Object.entries(devices as Record<string, unknown>))
      if (d && typeof d === 'object' && 'lastSweepMs' in d)
        out.push([`sweep_ms_${snake(id)}`, (d as { lastSweepMs: unknown }).lastSweepMs]);
  }
  return out;
}

/**
 * One line of the `service` measurement from a health report: tag service (and instance, for one
 * of several instances), its finite numeric
 * figures as float fields (always floats: a field written once as integer and once as float
 * would make InfluxDB refuse the whole batch), at most MAX_SERVICE_FIELDS of them, names checked
 * (others skipped and counted), and the state as a string; timestamped with the report's ts.
 */
export function servicePoint(h: ServiceHealth, now = Date.now()): ServicePoint {
  if (!SAFE_SERVICE.test(h.service)) return { ok: false, reason: 'service name not a safe tag value' };
  if (h.instance !== undefined && !SAFE_SERVICE.test(h.instance))
    return { ok: false, reason: 'instance not a safe tag value' };
  if (!Number.isFinite(h.ts) || h.ts < now - MAX_AGE_MS || h.ts > now + MAX_AHEAD_MS)
    return { ok: false, reason: `ts ${h.ts} more than a day old or ahead of the clock` };
  const state = String(h.state).slice(0, 32);
  let fields = `state=${escape.quoted(state)}`;
  const values: Record<string, number | string> = { state };
  let n = 0;
  let skipped = 0;
  const seen = new Set<string>(['state']);
  for (const [name, v] of figures(h)) {
    if (
      n >= MAX_SERVICE_FIELDS ||
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      !SAFE_NAME.test(name) ||
      seen.has(name)
    ) {
      skipped++;
      continue;
    }
    seen.add(name);
    fields += `,${name}=${v}`;
    values[name] = v;
    n++;
  }
  // one of several instances (scaleOut): its own series, tag instance
  const tags =
    h.instance !== undefined ? `service=${h.service},instance=${h.instance}` : `service=${h.service}`;
  const series = `service,${tags}`;
  const ts = Math.round(h.ts);
  return { ok: true, line: `${series} ${fields} ${ts}`, series, values, ts, fields: n, skipped };
}

/**
 * Which reports become points: at most one per service per `everyMs`, and at once when the
 * service's state changes; at most `maxServices` services are followed (a flood of made-up
 * service names is counted, not remembered).
 */
export class ServicePointGate {
  private readonly last = new Map<string, { at: number; state: string }>();

  constructor(
    private readonly everyMs: number,
    private readonly maxServices = 200,
  ) {}

  /** true: write this report now (and remember it as written) */
  admit(service: string, state: string, now = Date.now()): boolean {
    const prev = this.last.get(service);
    if (!prev && this.last.size >= this.maxServices) return false;
    if (prev && prev.state === state && now - prev.at < this.everyMs) return false;
    this.last.set(service, { at: now, state });
    return true;
  }
}

/** How many lines of a line-protocol body are `service` points (the rest are readings). */
export function countServiceLines(body: string): number {
  let n = body.startsWith('service,') ? 1 : 0;
  for (let i = body.indexOf('\nservice,'); i !== -1; i = body.indexOf('\nservice,', i + 1)) n++;
  return n;
}
