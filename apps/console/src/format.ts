/** Pure display rules: HV state, severity order, number and time formatting. */
import type {
  AlarmStateName as AlarmState,
  AlarmView,
  MissingPartitionsHeader,
  Severity,
} from '@cicenns/contracts';
import type { PmtView, ValueView } from './types.js';

export type HvState = 'ON' | 'RAMP' | 'OFF' | 'TRIP' | 'NO DATA';

/**
 * The flag names of HV_TRIP_FLAGS, HV_RAMP_FLAGS and HV_ON_FLAG of @cicenns/contracts (the API's
 * group counts use those): a copy, since the page can import only types from there;
 * test/console-states.spec.ts checks that they are equal.
 */
export const HV_DISPLAY_FLAGS = {
  trip: ['tripped', 'over_current', 'interlock'],
  ramp: ['ramping_up', 'ramping_down'],
  on: 'on',
} as const;

/** The HV state of a PMT from its status flags; never shown by color alone (glyph + text). */
export function hvState(p: PmtView): HvState {
  const s = p.status;
  if (s.value === null || s.quality === 'bad') return 'NO DATA';
  const f = new Set(s.flags);
  if (HV_DISPLAY_FLAGS.trip.some((n) => f.has(n))) return 'TRIP';
  if (HV_DISPLAY_FLAGS.ramp.some((n) => f.has(n))) return 'RAMP';
  if (f.has(HV_DISPLAY_FLAGS.on)) return 'ON';
  return 'OFF';
}

export const HV_GLYPH: Record<HvState, string> = {
  ON: '●',
  RAMP: '↕',
  OFF: '○',
  TRIP: '✖',
  'NO DATA': '?',
};

/**
 * The states that need the shift's attention: a copy of NEEDS_ATTENTION of @cicenns/contracts,
 * since the page (ES modules, no bundler) can import only types from there;
 * test/console-states.spec.ts checks that the two are equal.
 */
export const NEEDS_ATTENTION: ReadonlySet<AlarmState> = new Set<AlarmState>([
  'active-unack',
  'active-ack',
  'cleared-unack',
]);

/** Alarm states shown in the list by default: those that need attention, shelved, suppressed. */
export const SHOWN_STATES: ReadonlySet<AlarmState> = new Set<AlarmState>([
  ...NEEDS_ATTENTION,
  'shelved',
  'suppressed',
]);

export const STATE_TEXT: Record<AlarmState, string> = {
  normal: 'Normal',
  'active-unack': 'ACTIVE – unacknowledged',
  'active-ack': 'Active – acknowledged',
  'cleared-unack': 'Cleared – unacknowledged',
  shelved: 'Shelved',
  disabled: 'Disabled',
  suppressed: 'Suppressed',
};

/** An alarm that still counts for the color of the map and the header count. */
export function isLive(a: AlarmView): boolean {
  return NEEDS_ATTENTION.has(a.state);
}

export function needsAck(a: AlarmView): boolean {
  return a.state === 'active-unack' || a.state === 'cleared-unack';
}

const SEV_RANK: Record<Severity, number> = { alarm: 2, warning: 1 };
const STATE_RANK: Record<AlarmState, number> = {
  'active-unack': 0,
  'active-ack': 1,
  'cleared-unack': 2,
  suppressed: 3,
  shelved: 4,
  disabled: 5,
  normal: 6,
};

/** Most severe first, then active before cleared or shelved, then oldest first. */
export function compareAlarms(a: AlarmView, b: AlarmView): number {
  return (
    SEV_RANK[b.severity] - SEV_RANK[a.severity] ||
    STATE_RANK[a.state] - STATE_RANK[b.state] ||
    (a.raisedAt ?? Infinity) - (b.raisedAt ?? Infinity) ||
    a.alarmId.localeCompare(b.alarmId)
  );
}

/** The worst severity among live alarms, or null. */
export function worstSeverity(alarms: Iterable<AlarmView>): Severity | null {
  let worst: Severity | null = null;
  for (const a of alarms) {
    if (!isLive(a)) continue;
    if (a.severity === 'alarm') return 'alarm';
    worst = 'warning';
  }
  return worst;
}

export function num(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-2)) return v.toExponential(2);
  return v.toFixed(digits);
}

export function valueText(v: ValueView, digits = 1): string {
  const unit = v.unit ? ` ${v.unit === 'degC' ? '°C' : v.unit === 'uA' ? 'µA' : v.unit}` : '';
  return v.value === null ? '—' : `${num(v.value, digits)}${unit}`;
}

export function timeText(ts: number | null | undefined): string {
  if (ts === null || ts === undefined) return '—';
  return new Date(ts).toLocaleTimeString([], { hour12: false });
}

export function dateTimeText(ts: number | null | undefined): string {
  if (ts === null || ts === undefined) return '—';
  const d = new Date(ts);
  return `${d.toLocaleDateString([], { month: 'short', day: '2-digit' })} ${d.toLocaleTimeString([], { hour12: false })}`;
}

export function ageText(ts: number | null | undefined, now = Date.now()): string {
  if (ts === null || ts === undefined) return 'never';
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export const ROLE_RANK = { viewer: 0, shifter: 1, expert: 2, admin: 3 } as const;

/** The marker of a tube that is not commissioned (datasheet figures only): a shape, not a colour. */
export const NOT_COMMISSIONED_MARK = '◇';

/** the API names here the alarm partitions that did not answer a journal query (the alarm service split) */
export const MISSING_PARTITIONS: MissingPartitionsHeader = 'X-Alarm-Partitions-Missing';

/** What a shifter reads above a journal that lacks some partitions' events; null when it is whole. */
export function missingPartitionsNote(header: string | null): string | null {
  const ids = (header ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) return null;
  return ids.length === 1
    ? `Incomplete: alarm partition ${ids[0]} did not answer; its alarms' events are not shown.`
    : `Incomplete: alarm partitions ${ids.join(', ')} did not answer; their alarms' events are not shown.`;
}

/**
 * The health pill's tooltip: each service not running, by its name in /api/health, which for an
 * instance of a split service is `<service>-<instance>` (alarms-b: offline).
 */
export function servicesNotRunning(services: Record<string, { state?: string }>): string {
  const bad = Object.entries(services)
    .filter(([, v]) => v.state && v.state !== 'running')
    .map(([k, v]) => `${k}: ${v.state}`);
  return bad.length ? bad.join(', ') : 'all services running';
}
