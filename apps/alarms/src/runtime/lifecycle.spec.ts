import type { AlarmRecord } from './alarm-record';
import {
  acknowledge,
  applyCondition,
  disable,
  displayState,
  enable,
  isNotifiable,
  LifecycleError,
  newRecord,
  nextDeadline,
  setSuppression,
  shelve,
  tick,
  unshelve,
  type Clock,
  type Outcome,
} from './lifecycle';
import { hvTrip } from '../../../../test/support/factories/alarm-conditions';

const beam = { on: true, power_kw: 140 };
const at = (now: number): Clock => ({ now, beam });
const user = { by: 'alice', comment: 'on it', origin: 'console' };

/** A little driver: keeps the record and every event. */
class Alarm {
  r: AlarmRecord;
  events: NonNullable<Outcome['event']>[] = [];
  constructor() {
    this.r = newRecord(hvTrip(false), 0);
  }
  do(o: Outcome): this {
    this.r = o.record;
    if (o.event) this.events.push(o.event);
    return this;
  }
  cond(active: boolean, now: number, over = {}) {
    return this.do(applyCondition(this.r, hvTrip(active, over), at(now)));
  }
  tick(now: number) {
    return this.do(tick(this.r, at(now)));
  }
  get state() {
    return displayState(this.r);
  }
  get path() {
    return this.events.map((e) => `${e.action}:${e.from}->${e.to}`);
  }
}

/** Raised at t=1000 (condition from t=0, delay 1000). */
function raised(): Alarm {
  return new Alarm().cond(true, 0).tick(1000);
}

describe('alarm lifecycle', () => {
  it('raises only after the condition held for its delay', () => {
    const a = new Alarm().cond(true, 0);
    expect(a.state).toBe('normal');
    expect(nextDeadline(a.r)).toBe(1000);
    a.tick(999);
    expect(a.state).toBe('normal');
    a.tick(1000);
    expect(a.state).toBe('active-unack');
    expect(a.r.raisedAt).toBe(1000);
    expect(nextDeadline(a.r)).toBeUndefined();
    expect(a.events).toEqual([
      expect.objectContaining({
        ts: 1000,
        alarmId: 'hv-trip:CsI01-A',
        action: 'raise',
        from: 'normal',
        to: 'active-unack',
        severity: 'alarm',
        value: 0,
        message: 'HV channel tripped',
        beam: { on: true, power_kw: 140 },
      }),
    ]);
  });

  it('a condition that clears within its delay raises nothing', () => {
    const a = new Alarm().cond(true, 0).cond(false, 500).tick(2000);
    expect(a.state).toBe('normal');
    expect(a.events).toEqual([]);
  });

  it('a reading arriving after the delay raises at once (delay zero too)', () => {
    const a = new Alarm().cond(true, 0).cond(true, 1200);
    expect(a.state).toBe('active-unack');
    const z = new Alarm().cond(true, 5, { delayMs: 0 });
    expect(z.state).toBe('active-unack');
  });

  it('ack then clear: active-unack -> active-ack -> normal', () => {
    const a = raised();
    a.do(acknowledge(a.r, user, at(1100)));
    expect(a.state).toBe('active-ack');
    expect(a.r.ack).toEqual({ by: 'alice', at: 1100, comment: 'on it' });
    a.cond(false, 1200);
    expect(a.state).toBe('normal');
    expect(a.path).toEqual([
      'raise:normal->active-unack',
      'ack:active-unack->active-ack',
      'clear:active-ack->normal',
    ]);
    expect(a.events[1]).toMatchObject({ by: 'alice', comment: 'on it', origin: 'console' });
  });

  it('clear before ack latches: cleared-unack until acknowledged', () => {
    const a = raised().cond(false, 1500);
    expect(a.state).toBe('cleared-unack');
    expect(a.r.clearedAt).toBe(1500);
    expect(isNotifiable(a.r)).toBe(false);
    a.tick(10_000);
    expect(a.state).toBe('cleared-unack');
    a.do(acknowledge(a.r, user, at(11_000)));
    expect(a.state).toBe('normal');
    expect(a.path.slice(1)).toEqual(['clear:active-unack->cleared-unack', 'ack:cleared-unack->normal']);
  });

  it('re-activation from latched raises again (after the delay)', () => {
    const a = raised().cond(false, 1500).cond(true, 2000);
    expect(a.state).toBe('cleared-unack');
    a.tick(3000);
    expect(a.state).toBe('active-unack');
    expect(a.r.raisedAt).toBe(3000);
    expect(a.path.at(-1)).toBe('raise:cleared-unack->active-unack');
  });

  it('nothing to acknowledge in normal or active-ack', () => {
    const a = new Alarm();
    expect(() => acknowledge(a.r, user, at(0))).toThrow(LifecycleError);
    const b = raised();
    b.do(acknowledge(b.r, user, at(1100)));
    expect(() => acknowledge(b.r, user, at(1200))).toThrow(/active-ack: nothing to acknowledge/);
  });

  it('escalation warning -> alarm re-raises unacknowledged; de-escalation keeps the ack', () => {
    const a = new Alarm().cond(true, 0, { severity: 'warning' }).tick(1000);
    expect(a.r.severity).toBe('warning');
    a.do(acknowledge(a.r, user, at(1100)));
    a.cond(true, 1200, { severity: 'alarm' });
    expect(a.state).toBe('active-unack');
    expect(a.r.severity).toBe('alarm');
    expect(a.r.ack).toBeUndefined();
    a.do(acknowledge(a.r, user, at(1300)));
    a.cond(true, 1400, { severity: 'warning' });
    expect(a.state).toBe('active-ack');
    expect(a.r.severity).toBe('warning');
    expect(a.path).toEqual([
      'raise:normal->active-unack',
      'ack:active-unack->active-ack',
      'escalate:active-ack->active-unack',
      'ack:active-unack->active-ack',
      'deescalate:active-ack->active-ack',
    ]);
    // escalation of a still unacknowledged alarm is recorded too
    const b = new Alarm().cond(true, 0, { severity: 'warning' }).tick(1000).cond(true, 1100);
    expect(b.path.at(-1)).toBe('escalate:active-unack->active-unack');
  });

  it('value and message updates of a standing alarm are no journal events', () => {
    const a = raised().cond(true, 1100, { value: 3, message: 'still tripped' });
    expect(a.events).toHaveLength(1);
    expect(a.r.message).toBe('still tripped');
  });

  describe('shelving', () => {
    it('hides an active alarm until the shelf expires, then follows the condition', () => {
      const a = raised();
      a.do(shelve(a.r, { ...user, reason: 'known, base being replaced', until: 5000 }, at(1100)));
      expect(a.state).toBe('shelved');
      expect(isNotifiable(a.r)).toBe(false);
      expect(a.r.shelf).toEqual({ by: 'alice', reason: 'known, base being replaced', at: 1100, until: 5000 });
      expect(nextDeadline(a.r)).toBe(5000);
      a.tick(4999);
      expect(a.state).toBe('shelved');
      a.tick(5000);
      // still tripped: back as a fresh unacknowledged alarm
      expect(a.state).toBe('active-unack');
      expect(a.path.slice(1)).toEqual([
        'shelve:active-unack->shelved',
        'shelve-expired:shelved->active-unack',
      ]);
      expect(a.events[1]).toMatchObject({ by: 'alice', comment: 'on it' });
    });

    it('expires to normal when the condition cleared meanwhile; nothing latched', () => {
      const a = raised();
      a.do(shelve(a.r, { by: 'bob', reason: 'noisy', until: 5000 }, at(1100)));
      expect(a.events.at(-1)?.comment).toBe('noisy');
      a.cond(false, 2000).tick(5000);
      expect(a.state).toBe('normal');
    });

    it('a condition arising while shelved raises nothing; unshelve by hand raises it', () => {
      const a = new Alarm();
      a.do(shelve(a.r, { by: 'bob', reason: 'maintenance', until: 60_000 }, at(0)));
      a.cond(true, 10).tick(2000);
      expect(a.state).toBe('shelved');
      a.do(unshelve(a.r, { by: 'bob' }, at(3000)));
      expect(a.state).toBe('active-unack');
      expect(a.path).toEqual(['shelve:normal->shelved', 'unshelve:shelved->active-unack']);
    });

    it('rejects a time in the past, unshelving what is not shelved, shelving what is disabled', () => {
      const a = new Alarm();
      expect(() => shelve(a.r, { by: 'b', reason: 'r', until: 5 }, at(10))).toThrow(/future/);
      expect(() => unshelve(a.r, { by: 'b' }, at(10))).toThrow(/not shelved/);
      a.do(disable(a.r, { by: 'expert', reason: 'broken tube' }, at(10)));
      expect(() => shelve(a.r, { by: 'b', reason: 'r', until: 50 }, at(10))).toThrow(/disabled/);
    });
  });

  describe('disable / enable', () => {
    it('takes the alarm out of service; on enable the condition must hold its delay again', () => {
      const a = raised();
      a.do(disable(a.r, { by: 'expert', reason: 'tube dead, replacement ordered' }, at(1100)));
      expect(a.state).toBe('disabled');
      expect(a.r.disabled).toEqual({ by: 'expert', reason: 'tube dead, replacement ordered', at: 1100 });
      a.tick(50_000);
      expect(a.state).toBe('disabled');
      expect(() => disable(a.r, { by: 'x', reason: 'y' }, at(1))).toThrow(/already/);
      a.do(enable(a.r, { by: 'expert' }, at(60_000)));
      expect(a.state).toBe('normal');
      a.tick(61_000);
      expect(a.state).toBe('active-unack');
      expect(a.path).toEqual([
        'raise:normal->active-unack',
        'disable:active-unack->disabled',
        'enable:disabled->normal',
        'raise:normal->active-unack',
      ]);
      expect(() => enable(a.r, { by: 'x' }, at(1))).toThrow(/not disabled/);
    });

    it('disable removes a shelf', () => {
      const a = new Alarm();
      a.do(shelve(a.r, { by: 'b', reason: 'r', until: 9999 }, at(0)));
      a.do(disable(a.r, { by: 'e', reason: 'r' }, at(1)));
      expect(a.r.shelf).toBeUndefined();
      expect(a.state).toBe('disabled');
    });
  });

  describe('suppression by the parent device', () => {
    it('an active alarm becomes suppressed, and on release must hold its delay again', () => {
      const a = raised();
      a.do(setSuppression(a.r, 'device-down:hv-crystal', at(1100)));
      expect(a.state).toBe('suppressed');
      expect(a.r.suppressedBy).toBe('device-down:hv-crystal');
      expect(isNotifiable(a.r)).toBe(false);
      a.do(setSuppression(a.r, undefined, at(2000)));
      expect(a.state).toBe('normal');
      a.tick(3000);
      expect(a.state).toBe('active-unack');
      expect(a.path).toEqual([
        'raise:normal->active-unack',
        'suppress:active-unack->suppressed',
        'unsuppress:suppressed->normal',
        'raise:normal->active-unack',
      ]);
    });

    it('a condition arising under suppression shows suppressed (after its delay), never raised', () => {
      const a = new Alarm();
      a.do(setSuppression(a.r, 'device-down:hv-crystal', at(0)));
      expect(a.events).toEqual([]); // nothing to see while the condition does not hold
      a.cond(true, 10);
      expect(a.state).toBe('normal');
      a.tick(1010);
      expect(a.state).toBe('suppressed');
      a.cond(false, 2000);
      expect(a.state).toBe('normal');
      expect(a.path).toEqual(['suppress:normal->suppressed', 'unsuppress:suppressed->normal']);
    });

    it('setting the same suppressor twice is no change', () => {
      const a = new Alarm();
      a.do(setSuppression(a.r, 'x', at(0)));
      const o = setSuppression(a.r, 'x', at(1));
      expect(o.record).toBe(a.r);
      expect(o.event).toBeUndefined();
    });
  });

  it('never mutates the record it is given', () => {
    const a = raised();
    const frozen = JSON.stringify(a.r);
    acknowledge(a.r, user, at(2000));
    applyCondition(a.r, hvTrip(false), at(2000));
    shelve(a.r, { by: 'x', reason: 'y', until: 9e12 }, at(2000));
    expect(JSON.stringify(a.r)).toBe(frozen);
  });
});
