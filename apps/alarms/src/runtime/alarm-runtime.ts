/**
 * The alarm runtime: feeds the rule engine, runs every alarm's lifecycle, applies the
 * hierarchy's suppression, and hands each transition to the store (first, in one transaction),
 * then to MQTT and Alertmanager. Single-threaded by construction: every entry point runs to
 * completion synchronously, so there is no interleaving to guard against.
 *
 * Work is done per change, not per alarm per second (issue 13: 700,000 records at 45,000 PMTs):
 * a tick takes only the alarms whose deadline is due (DeadlineQueue), a batch re-examines only
 * the suppression of the alarms it touched and of those under a device or cause that changed
 * (SuppressionIndex), and the state counts are kept as records change.
 */
import { describeError, serviceLogger } from '@cicenns/common';
import {
  ALARM_STATES,
  type AlarmStateName,
  type AlarmView,
  type JournalEvent,
  type Reading,
  type ServiceHealth,
} from '@cicenns/contracts';
import type { Condition, RuleEngine } from '../contracts';
import { type AlarmRecord } from './alarm-record';
import { DeadlineQueue } from './deadline-queue';
import { SuppressionIndex } from './suppression-index';
import type { AlarmSink } from './alarm-outputs';
import type { AlarmStore, JournalQuery } from './alarm-store';
import { buildAlarmTree, type AlarmTreeNode } from './alarm-tree';
import { toView } from './alarm-view';
import { BeamTracker } from './beam-tracker';
import {
  acknowledge,
  applyCondition,
  disable,
  displayState,
  enable,
  LifecycleError,
  newRecord,
  nextDeadline,
  setSuppression,
  shelve,
  tick,
  unshelve,
  type Actor,
  type Clock,
  type Outcome,
} from './lifecycle';

export interface Notifier {
  update(r: AlarmRecord): void;
}

export interface RuntimeOptions {
  engine: RuleEngine;
  store: AlarmStore;
  sink?: AlarmSink;
  notifier?: Notifier;
  evaluationIntervalMs: number;
  now?: () => number;
}

export interface AlarmFilter {
  /** only these states; default: every state but normal */
  states?: AlarmStateName[];
  alarmIds?: string[];
  rule?: string;
  subjectId?: string;
  all?: boolean;
}

export interface AckResult {
  alarmId: string;
  ok: boolean;
  state?: AlarmStateName;
  error?: string;
}

/** The parts of a record whose change must reach the store even without a journal event. */
function persistKey(r: AlarmRecord): string {
  return JSON.stringify([
    r.latch,
    r.severity,
    r.conditionActive,
    r.activeSince,
    r.maskedActive,
    r.suppressedBy,
  ]);
}

/** Normal, and its condition does not hold: suppressing it would change nothing but the mark. */
function idle(r: AlarmRecord): boolean {
  return !r.conditionActive && !r.maskedActive && r.latch === 'normal' && !r.shelf && !r.disabled;
}

export class AlarmRuntime {
  private readonly byId = new Map<string, AlarmRecord>();
  private readonly log = serviceLogger('alarms');
  readonly beam = new BeamTracker();
  private readonly now: () => number;
  private tickTimer?: NodeJS.Timeout;
  private deadlineTimer?: NodeJS.Timeout;
  private deadlineAt?: number;
  private readonly deadlines = new DeadlineQueue();
  private readonly suppression = new SuppressionIndex();
  private readonly stateCounts = Object.fromEntries(ALARM_STATES.map((s) => [s, 0])) as Record<
    AlarmStateName,
    number
  >;
  counters = { readings: 0, healthReports: 0, conditions: 0, transitions: 0, engineErrors: 0 };
  /** listeners for every committed journal event (the benchmark and tests time transitions with it) */
  onEvent?: (e: JournalEvent, view: AlarmView) => void;

  constructor(private readonly opts: RuntimeOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Load the stored states, add the alarms the configuration knows, then start the clock. */
  start(timers = true): this {
    const now = this.now();
    for (const r of this.opts.store.loadRecords()) this.track(r);
    for (const def of this.opts.engine.knownAlarms()) {
      if (!this.byId.has(def.alarmId)) this.track(newRecord(def, now));
    }
    // once, every record: a stored suppression whose cause has gone since
    this.apply([], this.clock(), this.byId.keys());
    this.publishStartStates();
    this.runTick();
    if (timers) {
      this.tickTimer = setInterval(() => this.runTick(), this.opts.evaluationIntervalMs);
      this.tickTimer.unref();
    }
    return this;
  }

  stop(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.tickTimer = this.deadlineTimer = undefined;
  }

  // ---------- inputs ----------

  onReadings(readings: Reading[]): void {
    this.counters.readings += readings.length;
    this.beam.observe(readings);
    this.fromEngine(() => this.opts.engine.onReadings(readings, this.now()));
  }

  onHealth(health: ServiceHealth): void {
    this.counters.healthReports++;
    this.fromEngine(() => this.opts.engine.onHealth(health, this.now()));
  }

  /**
   * Only the alarms that are not normal are published at start (retained): a normal one has no
   * retained message to keep. Clearing leftovers (a normal alarm whose old state is still
   * retained) and pacing is the sink's business when it can (MqttAlarmOutputs.republish).
   */
  private publishStartStates(): void {
    const sink = this.opts.sink;
    if (!sink) return;
    const views: AlarmView[] = [];
    for (const r of this.byId.values()) if (displayState(r) !== 'normal') views.push(toView(r));
    if (sink.republish) {
      sink.republish(views, (id) => {
        const r = this.byId.get(id);
        return r && displayState(r);
      });
    } else for (const v of views) sink.state(v);
  }

  /** Engine tick (stale data), then the alarms whose delay or shelf runs out now. */
  runTick(): void {
    this.fromEngine(() => this.opts.engine.onTick(this.now()));
    this.tickDue();
  }

  private tickDue(): void {
    const clock = this.clock();
    const outcomes: Outcome[] = [];
    for (const id of this.deadlines.takeDue(clock.now)) {
      const r = this.byId.get(id);
      if (r) outcomes.push(tick(r, clock));
    }
    if (outcomes.length) this.apply(outcomes, clock);
  }

  private fromEngine(evaluate: () => Condition[]): void {
    let conditions: Condition[];
    try {
      conditions = evaluate();
    } catch (err) {
      // a rule that throws on one odd reading must not stop the alarms
      this.counters.engineErrors++;
      this.log.error(`rule engine error: ${describeError(err)}`);
      return;
    }
    if (conditions.length === 0) return;
    this.counters.conditions += conditions.length;
    const clock = this.clock();
    // Suppression first, from the conditions as they will be: an alarm with no delay must not
    // be raised in the very batch that brings its cause (a trip and its deviation together).
    for (const c of conditions) this.suppression.observe({ ...c, conditionActive: c.active });
    const outcomes: Outcome[] = [];
    for (const c of conditions) {
      if (c.elsewhere) continue; // another instance's alarm: it only suppresses here
      const r = this.byId.get(c.alarmId) ?? newRecord(c, clock.now);
      const by = this.suppression.suppressorOf(c);
      if (by && r.suppressedBy !== by) {
        // suppressed before its condition is applied; a release is left to apply(), after it
        const o = setSuppression(r, by, clock);
        outcomes.push(o, applyCondition(o.record, c, clock));
      } else outcomes.push(applyCondition(r, c, clock));
    }
    this.apply(outcomes, clock);
  }

  // ---------- user actions ----------

  ack(alarmIds: string[], actor: Actor): AckResult[] {
    const clock = this.clock();
    const results: AckResult[] = [];
    const outcomes: Outcome[] = [];
    for (const id of alarmIds) {
      try {
        const o = acknowledge(this.get(id), actor, clock);
        outcomes.push(o);
        results.push({ alarmId: id, ok: true });
      } catch (err) {
        if (!(err instanceof LifecycleError)) throw err;
        results.push({ alarmId: id, ok: false, error: err.message });
      }
    }
    this.apply(outcomes, clock);
    for (const r of results) r.state = this.byId.get(r.alarmId) && toView(this.get(r.alarmId)).state;
    return results;
  }

  shelve(alarmId: string, actor: Actor & { reason: string; until: number }): AlarmView {
    return this.userAction(alarmId, (r, c) => shelve(r, actor, c));
  }

  unshelve(alarmId: string, actor: Actor): AlarmView {
    return this.userAction(alarmId, (r, c) => unshelve(r, actor, c));
  }

  disable(alarmId: string, actor: Actor & { reason: string }): AlarmView {
    return this.userAction(alarmId, (r, c) => disable(r, actor, c));
  }

  enable(alarmId: string, actor: Actor): AlarmView {
    return this.userAction(alarmId, (r, c) => enable(r, actor, c));
  }

  private userAction(alarmId: string, act: (r: AlarmRecord, c: Clock) => Outcome): AlarmView {
    const clock = this.clock();
    this.apply([act(this.get(alarmId), clock)], clock);
    return toView(this.get(alarmId));
  }

  private get(alarmId: string): AlarmRecord {
    const r = this.byId.get(alarmId);
    if (!r) throw new LifecycleError(`unknown alarm "${alarmId}"`);
    return r;
  }

  // ---------- queries ----------

  list(f: AlarmFilter = {}): AlarmView[] {
    const ids = f.alarmIds && new Set(f.alarmIds);
    const states = f.states && new Set(f.states);
    const out: AlarmView[] = [];
    for (const r of this.byId.values()) {
      if (ids && !ids.has(r.alarmId)) continue;
      if (f.rule && r.rule !== f.rule) continue;
      if (f.subjectId && r.subject.id !== f.subjectId) continue;
      const v = toView(r);
      if (states ? !states.has(v.state) : !f.all && !ids && v.state === 'normal') continue;
      out.push(v);
    }
    return out.sort((a, b) => a.alarmId.localeCompare(b.alarmId));
  }

  journal(q: JournalQuery): JournalEvent[] {
    return this.opts.store.journal(q);
  }

  tree(): AlarmTreeNode[] {
    return buildAlarmTree([...this.byId.values()].map(toView));
  }

  countsByState(): Record<AlarmStateName, number> {
    return { ...this.stateCounts };
  }

  /** alarms with a delay or a shelf running (the ones a tick looks at) */
  get pendingDeadlines(): number {
    return this.deadlines.size;
  }

  records(): IterableIterator<AlarmRecord> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  // ---------- the one place where transitions take effect ----------

  /** Hold a record as the current one, and keep the indexes that follow it up to date. */
  private track(r: AlarmRecord, before = this.byId.get(r.alarmId)): void {
    if (before) this.stateCounts[displayState(before)]--;
    this.stateCounts[displayState(r)]++;
    this.byId.set(r.alarmId, r);
    this.suppression.observe(r);
    this.deadlines.set(r.alarmId, nextDeadline(r));
  }

  private apply(outcomes: Outcome[], clock: Clock, recheck: Iterable<string> = []): void {
    const changed = new Map<string, AlarmRecord>();
    const events: JournalEvent[] = [];
    const take = (o: Outcome) => {
      const before = this.byId.get(o.record.alarmId);
      this.track(o.record, before);
      if (o.event) events.push(o.event);
      if (o.event || !before || persistKey(before) !== persistKey(o.record))
        changed.set(o.record.alarmId, o.record);
    };
    for (const o of outcomes) take(o);
    // the hierarchy: a device down suppresses its channels, a trip the channel's deviation;
    // a device back (a trip cleared) releases them. Only the alarms whose suppressor may have
    // changed: these outcomes' own, and those under a device or cause whose condition changed.
    const dirty = this.suppression.takePending();
    for (const o of outcomes) dirty.add(o.record.alarmId);
    for (const id of recheck) dirty.add(id);
    for (const id of dirty) {
      const r = this.byId.get(id);
      if (!r) continue;
      const by = this.suppression.suppressorOf(r);
      // An idle alarm is not marked: its mark would change nothing visible, and marking every
      // alarm of a silent DAQ (90,000 at 45,000 PMTs) was a burst of store writes. Its suppressor
      // is looked up when its condition comes (fromEngine); a mark it has is always released.
      if (r.suppressedBy !== by && (by === undefined || !idle(r))) take(setSuppression(r, by, clock));
    }
    if (changed.size === 0) return;
    this.opts.store.commit([...changed.values()], events);
    this.counters.transitions += events.length;
    const withEvent = new Set(events.map((e) => e.alarmId));
    for (const e of events) {
      const view = toView(this.get(e.alarmId));
      this.opts.sink?.event(e);
      this.onEvent?.(e, view);
    }
    for (const id of withEvent) {
      const r = this.get(id);
      this.opts.sink?.state(toView(r));
      this.opts.notifier?.update(r);
    }
    this.scheduleDeadline();
  }

  /** A timer for the earliest delay or shelf expiry, so raising is not left to the next tick. */
  private scheduleDeadline(): void {
    const next = this.deadlines.peek();
    if (next === this.deadlineAt) return;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.deadlineAt = next;
    if (next === undefined || !this.tickTimer) return;
    this.deadlineTimer = setTimeout(
      () => {
        this.deadlineAt = undefined;
        this.deadlineTimer = undefined;
        this.tickDue();
        this.scheduleDeadline();
      },
      Math.max(0, next - this.now()),
    );
    this.deadlineTimer.unref();
  }

  private clock(): Clock {
    return { now: this.now(), beam: this.beam.snapshot() };
  }
}
