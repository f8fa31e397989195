import type { SystemConfig } from '@cicenns/model';
import { z } from 'zod';

export type ConnectionState = 'up' | 'down' | 'connecting' | 'disabled';

/**
 * What a service reports of itself, retained on cicenns/sc/health/<service>. Counts, states and
 * connections only: no payloads or topics of refused messages (those go, bounded, to
 * cicenns/sc/intake/rejects; see rejection-notice.ts). Health is public (GET /api/health).
 */
export interface ServiceHealth {
  service: string;
  state: 'running' | 'degraded' | 'offline';
  ts: number;
  startedAt?: number;
  /** the reporting process: tells a test or an operator which start of the service this is */
  pid?: number;
  /** the MQTT client id of the service's persistent session, so others can tell which session this is */
  session?: string;
  /** one of several instances of the service (shared subscriptions): its id; absent for the single one */
  instance?: string;
  connections: Record<string, { state: ConnectionState; detail?: string; since?: number }>;
  counters: Record<string, number>;
  /** messages refused, by reason (metrics: cicenns_rejected_messages) */
  rejects?: Record<string, number>;
  /** parts of messages refused one by one, e.g. the entries of a DAQ sweep, by reason (cicenns_rejected_entries) */
  rejectedEntries?: Record<string, number>;
  /** messages accepted with a warning, by reason, e.g. unknown_field (cicenns_warning_messages) */
  warnings?: Record<string, number>;
  detail?: Record<string, unknown>;
}

/**
 * The name a service's health goes under (cicenns/sc/health/<name>): the service, or
 * `<service>-<instance>` for one of several instances, so that each keeps its own retained report.
 */
export function healthName(service: string, instance?: string): string {
  return instance ? `${service}-${instance}` : service;
}

/**
 * The cap of one health message without its connections, in bytes of JSON. It is published every
 * 2 s, retained, and served without a login: 16 KB is far above what any of our services reports
 * beside its connections, and keeps a runaway report from flooding the bus and /api/health.
 */
export const MAX_HEALTH_BYTES = 16 * 1024;
/** The room one connection takes in a report cut to its cap: its name and detail cut to CONNECTION_TEXT_CHARS. */
export const CONNECTION_ENTRY_BYTES = 256;
const CONNECTION_TEXT_CHARS = 64;
/** The most connections one report carries (a poller of 45,000 PMTs has about 1,800: links and crates). */
export const MAX_CONNECTIONS = 10_000;
const MAX_ENTRIES = 200;

/**
 * The cap of a report with `connections` connections. The poller lists every link and device of
 * its configuration, and the alarm service judges device-down from that list: a fixed cap kept
 * the first 200 and left the other crates of a large detector without a device-down alarm.
 */
export function healthCapBytes(connections: number): number {
  return MAX_HEALTH_BYTES + Math.min(connections, MAX_CONNECTIONS) * CONNECTION_ENTRY_BYTES;
}

/**
 * What a receiver accepts of a report from services with at most `connections` connections each
 * (the configuration's links and devices): four times the cap, as before, plus their room.
 */
export function healthReceiveCapBytes(connections: number): number {
  return 4 * MAX_HEALTH_BYTES + Math.min(connections, MAX_CONNECTIONS) * CONNECTION_ENTRY_BYTES;
}

/** Connections a service reports beside the configuration's links and devices (mqtt, influx, daq, ...). */
const OTHER_CONNECTIONS = 16;

/**
 * What a receiver of health reports (alarms, API, historian) accepts: room for every link and
 * device of the configuration, which the poller lists one by one (device-down is judged from them).
 */
export function healthReceiveCap(cfg: Pick<SystemConfig, 'app'>): number {
  return healthReceiveCapBytes(cfg.app.links.length + cfg.app.devices.length + OTHER_CONNECTIONS);
}

/**
 * JSON of a health report within its cap (healthCapBytes of its connections, unless given). Over
 * it: `detail` is replaced by a note, connection names and details are cut, the other maps keep
 * their first entries, and every connection stays (up to MAX_CONNECTIONS); as a last resort only
 * the state is left. The cap is enforced here, where every report is serialized.
 */
export function encodeHealth(h: ServiceHealth, maxBytes?: number): string {
  const full = JSON.stringify(h);
  const entries = Object.entries(h.connections);
  const cap = maxBytes ?? healthCapBytes(entries.length);
  if (Buffer.byteLength(full) <= cap) return full;
  const first = <T>(r: Record<string, T> | undefined) =>
    r && Object.fromEntries(Object.entries(r).slice(0, MAX_ENTRIES));
  const connections = Object.fromEntries(
    entries.slice(0, MAX_CONNECTIONS).map(([k, c]) => [
      k.slice(0, CONNECTION_TEXT_CHARS),
      {
        ...c,
        state: String(c.state).slice(0, 32) as ConnectionState,
        ...(c.detail !== undefined && { detail: String(c.detail).slice(0, CONNECTION_TEXT_CHARS) }),
      },
    ]),
  );
  const note = { truncated: `report of ${Buffer.byteLength(full)} bytes cut to the ${cap}-byte cap` };
  const reduced = JSON.stringify({
    ...h,
    connections,
    counters: first(h.counters) ?? {},
    ...(h.rejects && { rejects: first(h.rejects) }),
    ...(h.rejectedEntries && { rejectedEntries: first(h.rejectedEntries) }),
    ...(h.warnings && { warnings: first(h.warnings) }),
    detail: note,
  });
  if (Buffer.byteLength(reduced) <= cap) return reduced;
  const { service, state, ts, startedAt, session, pid, instance } = h;
  return JSON.stringify({
    service: service.slice(0, 64),
    instance,
    state,
    ts,
    startedAt,
    pid,
    session: session?.slice(0, 256),
    connections: {},
    counters: {},
    detail: note,
  });
}

// states are read as short strings, not enums: a service reporting a state added later (e.g.
// "starting") is shown as it says, not dropped as malformed
const connectionSchema = z.object({
  state: z.string().max(32),
  detail: z.string().optional(),
  since: z.number().optional(),
});

/**
 * How a receiver (API, alarms) reads a health message from the bus: the fields it relies on must
 * be there with their types, or the message is counted as bad instead of breaking a view later.
 */
export const serviceHealthSchema = z.object({
  service: z.string(),
  state: z.string().max(32),
  ts: z.number(),
  startedAt: z.number().optional(),
  session: z.string().optional(),
  instance: z.string().max(64).optional(),
  pid: z.number().optional(),
  connections: z.record(z.string(), connectionSchema),
  counters: z.record(z.string(), z.number()),
  rejects: z.record(z.string(), z.number()).optional(),
  rejectedEntries: z.record(z.string(), z.number()).optional(),
  warnings: z.record(z.string(), z.number()).optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

/** Parse a received health payload (at most `maxBytes`); undefined if it is not one. */
export function parseHealth(
  payload: Buffer | string,
  maxBytes = 4 * MAX_HEALTH_BYTES,
): ServiceHealth | undefined {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (bytes === 0 || bytes > maxBytes) return undefined;
  try {
    const parsed = serviceHealthSchema.safeParse(JSON.parse(payload.toString()));
    return parsed.success ? (parsed.data as ServiceHealth) : undefined;
  } catch {
    return undefined;
  }
}
