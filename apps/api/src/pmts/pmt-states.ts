import {
  HV_ON_FLAG,
  HV_RAMP_FLAGS,
  HV_TRIP_FLAGS,
  NEEDS_ATTENTION,
  type AlarmView,
  type Reading,
} from '@cicenns/contracts';
import { anyFlagMask, statusFlagMasks, type Detector, type SystemConfig } from '@cicenns/model';

/**
 * Each PMT's state for the map and the group summaries, best first: its HV state (on, ramp, off,
 * no-data, trip: the console's hvState rule) raised by its worst live alarm (warning above
 * no-data, alarm above everything). An alarm counts for a PMT when its subject is the PMT, its
 * crystal or panel, or its temperature sensor.
 */
export const PMT_STATES = ['on', 'ramp', 'off', 'no-data', 'warning', 'trip', 'alarm'] as const;
export type PmtState = (typeof PMT_STATES)[number];
const RANK: Record<PmtState, number> = Object.fromEntries(PMT_STATES.map((s, i) => [s, i])) as Record<
  PmtState,
  number
>;
const NSTATES = PMT_STATES.length;

/** How PMTs are grouped: by HV crate, by crystal or panel, by kind (crystal / veto). */
export const GROUPINGS = ['crate', 'parent', 'kind'] as const;
export type Grouping = (typeof GROUPINGS)[number];

export interface GroupSummary {
  id: string;
  pmts: number;
  /** PMTs in each state */
  counts: Record<PmtState, number>;
  /** the worst state of any of its PMTs */
  worst: PmtState;
}

/** One grouping's groups and their per-state counts, kept as PMTs change state. */
export class GroupIndex {
  readonly ids: string[] = [];
  readonly byId = new Map<string, number>();
  readonly members: number[][] = [];
  readonly groupOf: Int32Array;
  counts: Int32Array = new Int32Array(0);
  /** groups whose counts changed since the last drain */
  readonly changed = new Set<number>();

  constructor(keys: string[]) {
    this.groupOf = new Int32Array(keys.length);
    keys.forEach((k, i) => {
      let g = this.byId.get(k);
      if (g === undefined) {
        g = this.ids.length;
        this.byId.set(k, g);
        this.ids.push(k);
        this.members.push([]);
      }
      this.members[g].push(i);
      this.groupOf[i] = g;
    });
    this.counts = new Int32Array(this.ids.length * NSTATES);
  }

  move(pmt: number, from: number, to: number): void {
    const g = this.groupOf[pmt];
    this.counts[g * NSTATES + from]--;
    this.counts[g * NSTATES + to]++;
    this.changed.add(g);
  }

  summary(g: number): GroupSummary {
    const counts = {} as Record<PmtState, number>;
    let worst = 0;
    for (let s = 0; s < NSTATES; s++) {
      const n = this.counts[g * NSTATES + s];
      counts[PMT_STATES[s]] = n;
      if (n > 0) worst = s;
    }
    return { id: this.ids[g], pmts: this.members[g].length, counts, worst: PMT_STATES[worst] };
  }
}

interface HvMasks {
  trip: number;
  ramp: number;
  on: number;
}

/**
 * The state of every PMT and the counts per state of every group, kept incrementally: a reading
 * or an alarm change touches only its PMTs and their groups, so a summary of 700 crates at
 * 45,000 PMTs is a read of counters, not a walk over the detector.
 */
export class PmtStates {
  readonly ids: string[];
  readonly index = new Map<string, number>();
  private readonly states: Uint8Array;
  private readonly hvStates: Uint8Array;
  private readonly masks: HvMasks[];
  private readonly groupings: Record<Grouping, GroupIndex>;
  /** alarm subject id (PMT, crystal or panel, sensor) -> the PMTs it counts for */
  private readonly subjects = new Map<string, number[]>();
  /** live alarms by id: their subject and severity level (2 alarm, 1 warning) */
  private readonly liveAlarms = new Map<string, { subject: string; level: number }>();
  /** subject -> live alarms on it, per level */
  private readonly subjectAlarms = new Map<string, [number, number]>();
  private readonly parentOf: string[];
  private readonly sensorOf: (string | undefined)[];
  private readonly listeners = new Set<() => void>();

  readonly detector: Detector;

  constructor(cfg: Pick<SystemConfig, 'detector' | 'app' | 'profiles'>) {
    this.detector = cfg.detector;
    const pmts = cfg.detector.pmts;
    this.ids = pmts.map((p) => p.id);
    this.ids.forEach((id, i) => this.index.set(id, i));
    this.parentOf = pmts.map((p) => p.parentId);
    this.sensorOf = pmts.map((p) => p.sensorId);
    const byDevice = new Map<string, HvMasks>();
    for (const d of cfg.app.devices) {
      const flags = statusFlagMasks(cfg.profiles.get(d.profile));
      byDevice.set(d.id, {
        trip: anyFlagMask(flags, HV_TRIP_FLAGS),
        ramp: anyFlagMask(flags, HV_RAMP_FLAGS),
        on: anyFlagMask(flags, [HV_ON_FLAG]),
      });
    }
    this.masks = pmts.map((p) => byDevice.get(p.hv.device) ?? { trip: 0, ramp: 0, on: 0 });
    this.groupings = {
      crate: new GroupIndex(pmts.map((p) => p.hv.device)),
      parent: new GroupIndex(pmts.map((p) => p.parentId)),
      kind: new GroupIndex(pmts.map((p) => p.group)),
    };
    const noData = RANK['no-data'];
    this.states = new Uint8Array(pmts.length).fill(noData);
    this.hvStates = new Uint8Array(pmts.length).fill(noData);
    for (const g of Object.values(this.groupings))
      for (let i = 0; i < pmts.length; i++) g.counts[g.groupOf[i] * NSTATES + noData]++;
    pmts.forEach((p, i) => {
      for (const s of [p.id, p.parentId, p.sensorId]) {
        if (s === undefined) continue;
        const list = this.subjects.get(s) ?? [];
        if (list[list.length - 1] !== i) list.push(i);
        this.subjects.set(s, list);
      }
    });
  }

  get size(): number {
    return this.ids.length;
  }

  state(i: number): PmtState {
    return PMT_STATES[this.states[i]];
  }

  grouping(by: Grouping): GroupIndex {
    return this.groupings[by];
  }

  /** The groups of one grouping with their counts, in inventory order. */
  groups(by: Grouping): GroupSummary[] {
    const g = this.groupings[by];
    return g.ids.map((_, k) => g.summary(k));
  }

  group(by: Grouping, id: string): GroupSummary | undefined {
    const g = this.groupings[by];
    const k = g.byId.get(id);
    return k === undefined ? undefined : g.summary(k);
  }

  /** The groups of `by` whose counts changed since the last call. */
  drainChanged(by: Grouping): GroupSummary[] {
    const g = this.groupings[by];
    const out = [...g.changed].map((k) => g.summary(k));
    g.changed.clear();
    return out;
  }

  /** Called after any state change (the event hub then sends the changed groups). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * New HV readings: `latest` is what the live cache now holds for the PMT (a reading older than
   * the cached one changes nothing).
   */
  onReadings(readings: readonly Reading[], latest: (id: string) => Reading | undefined): void {
    let changed = false;
    for (const r of readings) {
      if (r.m !== 'hv') continue;
      const i = this.index.get(r.id);
      if (i === undefined) continue;
      const hv = RANK[this.hvStateOf(i, latest(r.id))];
      if (hv === this.hvStates[i]) continue;
      this.hvStates[i] = hv;
      changed = this.recompute(i) || changed;
    }
    if (changed) this.notify();
  }

  /** An alarm's new state (from the alarm cache). */
  onAlarm(a: Pick<AlarmView, 'alarmId' | 'state' | 'severity' | 'subject'>): void {
    const before = this.liveAlarms.get(a.alarmId);
    const after = NEEDS_ATTENTION.has(a.state)
      ? { subject: a.subject.id, level: a.severity === 'alarm' ? 2 : 1 }
      : undefined;
    if (before?.subject === after?.subject && before?.level === after?.level) return;
    if (before) this.countAlarm(before, -1);
    if (after) {
      this.countAlarm(after, +1);
      this.liveAlarms.set(a.alarmId, after);
    } else this.liveAlarms.delete(a.alarmId);
    let changed = false;
    for (const s of new Set([before?.subject, after?.subject]))
      for (const i of (s !== undefined && this.subjects.get(s)) || []) changed = this.recompute(i) || changed;
    if (changed) this.notify();
  }

  private countAlarm(a: { subject: string; level: number }, d: number): void {
    const c = this.subjectAlarms.get(a.subject) ?? [0, 0];
    c[a.level - 1] += d;
    if (c[0] === 0 && c[1] === 0) this.subjectAlarms.delete(a.subject);
    else this.subjectAlarms.set(a.subject, c);
  }

  private alarmLevel(i: number): number {
    let level = 0;
    for (const s of [this.ids[i], this.parentOf[i], this.sensorOf[i]]) {
      const c = s === undefined ? undefined : this.subjectAlarms.get(s);
      if (!c) continue;
      if (c[1] > 0) return 2;
      if (c[0] > 0) level = 1;
    }
    return level;
  }

  /** The console's hvState: no value or a failed read, trip, ramp, on, else off. */
  private hvStateOf(i: number, r: Reading | undefined): PmtState {
    const status = r?.fields.status;
    if (!r || r.quality === 'bad' || typeof status !== 'number') return 'no-data';
    const m = this.masks[i];
    const has = (mask: number) => (status & mask) !== 0;
    if (has(m.trip)) return 'trip';
    if (has(m.ramp)) return 'ramp';
    if (has(m.on)) return 'on';
    return 'off';
  }

  private recompute(i: number): boolean {
    const level = this.alarmLevel(i);
    const hv = this.hvStates[i];
    const next = level === 2 ? RANK.alarm : level === 1 ? Math.max(hv, RANK.warning) : hv;
    const prev = this.states[i];
    if (next === prev) return false;
    this.states[i] = next;
    for (const g of Object.values(this.groupings)) g.move(i, prev, next);
    return true;
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}
