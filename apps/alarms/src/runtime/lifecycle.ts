/**
 * The life of one alarm as a pure state machine (ISA-18.2, as in EPICS/Phoebus):
 *
 *   normal --condition held for delayMs--> active-unack --ack--> active-ack
 *   active-ack   --condition clears--> normal
 *   active-unack --condition clears--> cleared-unack (latched) --ack--> normal
 *   cleared-unack --condition again--> active-unack;  warning -> alarm re-raises unacknowledged
 *
 * Shelving (by a person, until a time), disabling (by an expert) and suppression (the parent
 * device is down) take the alarm out of service: the core state is reset to normal and nothing
 * is notified; when it comes back in, the state follows the condition again.
 * Every change of the visible state, and every user action, yields one journal event.
 */
import type { Condition } from '../contracts';
import {
  type AlarmStateName,
  type BeamSnapshot,
  type JournalAction,
  type JournalEvent,
  type LatchState,
  type Severity,
} from '@cicenns/contracts';
import type { AlarmRecord } from './alarm-record';

export interface Clock {
  now: number;
  beam: BeamSnapshot;
}

export interface Actor {
  by: string;
  comment?: string;
  origin?: string;
}

export interface Outcome {
  record: AlarmRecord;
  /** undefined when nothing a person would notice changed */
  event?: JournalEvent;
}

/** A user action that does not apply to the alarm's present state. */
export class LifecycleError extends Error {}

export type AlarmDefinition = Pick<Condition, 'alarmId' | 'rule' | 'subject' | 'subsystem' | 'guidance'>;

export function newRecord(def: AlarmDefinition, now: number): AlarmRecord {
  return {
    alarmId: def.alarmId,
    rule: def.rule,
    subject: def.subject,
    subsystem: def.subsystem,
    guidance: def.guidance,
    latch: 'normal',
    severity: 'warning',
    message: '',
    delayMs: 0,
    conditionActive: false,
    conditionSeverity: 'warning',
    maskedActive: false,
    updatedAt: now,
  };
}

export function displayState(r: AlarmRecord): AlarmStateName {
  if (r.disabled) return 'disabled';
  if (r.shelf) return 'shelved';
  if (r.suppressedBy && r.maskedActive) return 'suppressed';
  return r.latch;
}

/** Active in the sense of "someone should be told": raised and in service. */
export function isNotifiable(r: AlarmRecord): boolean {
  const s = displayState(r);
  return s === 'active-unack' || s === 'active-ack';
}

function masked(r: AlarmRecord): boolean {
  return Boolean(r.disabled || r.shelf || r.suppressedBy);
}

function due(r: AlarmRecord, now: number): boolean {
  return r.conditionActive && r.activeSince !== undefined && now >= r.activeSince + r.delayMs;
}

/** Move the core state to where the condition and the delay say it must be. */
function settle(r: AlarmRecord, now: number): void {
  if (masked(r)) {
    r.latch = 'normal';
    r.maskedActive = due(r, now);
    return;
  }
  r.maskedActive = false;
  if (due(r, now)) {
    const escalates = r.severity === 'warning' && r.conditionSeverity === 'alarm';
    if (r.latch === 'normal' || r.latch === 'cleared-unack') {
      r.latch = 'active-unack';
      r.raisedAt = now;
      r.clearedAt = undefined;
      r.ack = undefined;
    } else if (escalates) {
      r.latch = 'active-unack';
      r.ack = undefined;
    }
    r.severity = r.conditionSeverity;
  } else if (!r.conditionActive) {
    if (r.latch === 'active-ack' || r.latch === 'active-unack') r.clearedAt = now;
    if (r.latch === 'active-ack') r.latch = 'normal';
    else if (r.latch === 'active-unack') r.latch = 'cleared-unack';
  }
}

function automaticAction(from: AlarmStateName, to: AlarmStateName): JournalAction {
  if (to === 'suppressed') return 'suppress';
  if (from === 'suppressed') return 'unsuppress';
  if (from === 'shelved') return 'shelve-expired';
  if (to === 'active-unack') return from === 'active-ack' || from === 'active-unack' ? 'escalate' : 'raise';
  return 'clear';
}

/**
 * Apply `change` to a copy, settle it, and describe what happened. A user action always gets
 * an event (it is part of the record even when the visible state stays the same).
 */
function transition(
  r: AlarmRecord,
  clock: Clock,
  change: (draft: AlarmRecord) => void,
  user?: { action: JournalAction; actor: Actor },
): Outcome {
  const from = displayState(r);
  const severityBefore = r.severity;
  const next: AlarmRecord = { ...r };
  change(next);
  settle(next, clock.now);
  const to = displayState(next);
  // a severity change of a standing alarm is news too (and a new alert for Alertmanager)
  const severityChanged =
    from === to && (to === 'active-unack' || to === 'active-ack') && next.severity !== severityBefore;
  if (!user && from === to && !severityChanged) return { record: next };
  next.updatedAt = clock.now;
  const event: JournalEvent = {
    ts: clock.now,
    alarmId: next.alarmId,
    rule: next.rule,
    action:
      user?.action ??
      (severityChanged
        ? severityRank(next.severity) > severityRank(severityBefore)
          ? 'escalate'
          : 'deescalate'
        : automaticAction(from, to)),
    from,
    to,
    severity: next.severity,
    value: next.value,
    message: next.message,
    beam: { ...clock.beam },
  };
  if (user) {
    event.by = user.actor.by;
    if (user.actor.comment) event.comment = user.actor.comment;
    if (user.actor.origin) event.origin = user.actor.origin;
  }
  return { record: next, event };
}

/** The engine's word on the condition. */
export function applyCondition(r: AlarmRecord, c: Condition, clock: Clock): Outcome {
  return transition(r, clock, (d) => {
    if (c.active && !d.conditionActive) d.activeSince = clock.now;
    if (!c.active) d.activeSince = undefined;
    d.conditionActive = c.active;
    d.conditionSeverity = c.severity;
    d.message = c.message;
    d.value = c.value;
    d.limit = c.limit;
    d.unit = c.unit;
    d.delayMs = c.delayMs;
    d.guidance = c.guidance;
    d.subject = c.subject;
    d.subsystem = c.subsystem;
  });
}

/** Time passes: a delay may expire, a shelf may run out. */
export function tick(r: AlarmRecord, clock: Clock): Outcome {
  if (r.shelf && clock.now >= r.shelf.until) {
    return transition(r, clock, (d) => {
      d.shelf = undefined;
    });
  }
  return transition(r, clock, () => undefined);
}

/** The next moment `tick` would change something, if any. */
export function nextDeadline(r: AlarmRecord): number | undefined {
  const times: number[] = [];
  if (r.shelf) times.push(r.shelf.until);
  if (r.conditionActive && r.activeSince !== undefined) {
    const at = r.activeSince + r.delayMs;
    const waiting = masked(r) ? !r.maskedActive : r.latch !== 'active-unack' && r.latch !== 'active-ack';
    if (waiting) times.push(at);
  }
  return times.length ? Math.min(...times) : undefined;
}

const ACKABLE: LatchState[] = ['active-unack', 'cleared-unack'];

export function acknowledge(r: AlarmRecord, actor: Actor, clock: Clock): Outcome {
  if (displayState(r) !== r.latch || !ACKABLE.includes(r.latch)) {
    throw new LifecycleError(`${r.alarmId} is ${displayState(r)}: nothing to acknowledge`);
  }
  return transition(
    r,
    clock,
    (d) => {
      d.ack = { by: actor.by, at: clock.now, comment: actor.comment };
      d.latch = d.latch === 'active-unack' ? 'active-ack' : 'normal';
    },
    { action: 'ack', actor },
  );
}

export function shelve(
  r: AlarmRecord,
  actor: Actor & { reason: string; until: number },
  clock: Clock,
): Outcome {
  if (r.disabled) throw new LifecycleError(`${r.alarmId} is disabled: enable it before shelving`);
  if (actor.until <= clock.now) throw new LifecycleError('until must be in the future');
  return transition(
    r,
    clock,
    (d) => {
      d.shelf = { by: actor.by, reason: actor.reason, at: clock.now, until: actor.until };
    },
    { action: 'shelve', actor: { ...actor, comment: actor.comment ?? actor.reason } },
  );
}

export function unshelve(r: AlarmRecord, actor: Actor, clock: Clock): Outcome {
  if (!r.shelf) throw new LifecycleError(`${r.alarmId} is not shelved`);
  return transition(
    r,
    clock,
    (d) => {
      d.shelf = undefined;
    },
    { action: 'unshelve', actor },
  );
}

export function disable(r: AlarmRecord, actor: Actor & { reason: string }, clock: Clock): Outcome {
  if (r.disabled) throw new LifecycleError(`${r.alarmId} is already disabled`);
  return transition(
    r,
    clock,
    (d) => {
      d.disabled = { by: actor.by, reason: actor.reason, at: clock.now };
      d.shelf = undefined;
    },
    { action: 'disable', actor: { ...actor, comment: actor.comment ?? actor.reason } },
  );
}

export function enable(r: AlarmRecord, actor: Actor, clock: Clock): Outcome {
  if (!r.disabled) throw new LifecycleError(`${r.alarmId} is not disabled`);
  return transition(
    r,
    clock,
    (d) => {
      d.disabled = undefined;
      // the condition must hold its full delay again once the alarm is back in service
      if (d.conditionActive) d.activeSince = clock.now;
    },
    { action: 'enable', actor },
  );
}

/** The parent device went down (suppressedBy = its alarm id) or came back (undefined). */
export function setSuppression(r: AlarmRecord, suppressedBy: string | undefined, clock: Clock): Outcome {
  if (r.suppressedBy === suppressedBy) return { record: r };
  return transition(r, clock, (d) => {
    d.suppressedBy = suppressedBy;
    // after the device returns, its channels' conditions are stale until fresh readings came in:
    // they must hold their delay again, so the recovery does not raise a burst of alarms
    if (!suppressedBy && d.conditionActive) d.activeSince = clock.now;
  });
}

export function severityRank(s: Severity): number {
  return s === 'alarm' ? 2 : 1;
}
