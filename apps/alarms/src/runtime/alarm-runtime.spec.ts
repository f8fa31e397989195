import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type AlarmView, type JournalEvent, type Reading, type ServiceHealth } from '@cicenns/contracts';
import type { Condition, RuleEngine } from '../contracts';
import type { AlarmSink } from './alarm-outputs';
import { AlarmRuntime } from './alarm-runtime';
import { AlarmStore } from './alarm-store';
import { isNotifiable } from './lifecycle';
import { deviceDown, hvTrip } from '../../../../test/support/factories/alarm-conditions';

/** A rule engine that says what the test tells it to. */
class ScriptedEngine implements RuleEngine {
  next: Condition[] = [];
  known: Condition[] = [];
  onReadings(_r: Reading[], _now: number): Condition[] {
    return this.take();
  }
  onHealth(_h: ServiceHealth, _now: number): Condition[] {
    return this.take();
  }
  onTick(): Condition[] {
    return this.take();
  }
  knownAlarms() {
    return this.known;
  }
  private take(): Condition[] {
    const c = this.next;
    this.next = [];
    return c;
  }
}

class RecordingSink implements AlarmSink {
  states = new Map<string, AlarmView>();
  events: JournalEvent[] = [];
  state(v: AlarmView) {
    this.states.set(v.alarmId, v);
  }
  event(e: JournalEvent) {
    this.events.push(e);
  }
}

const beamReading = (on: boolean, power: number): Reading => ({
  m: 'beam',
  id: '',
  ts: 0,
  quality: 'good',
  fields: { on, power_kw: power, rep_rate_hz: 25 },
  source: 'daq',
});

function vetoChannel(i: number, active: boolean): Condition {
  const pmt = `PSV${String(Math.floor(i / 2) + 1).padStart(2, '0')}-${i % 2 ? 'B' : 'A'}`;
  return {
    ...hvTrip(active),
    alarmId: `hv-stale:${pmt}`,
    rule: 'hv-stale',
    subject: { id: pmt, kind: 'pmt', parent: pmt.slice(0, 5), device: 'hv-veto' },
    delayMs: 200,
  };
}

describe('alarm runtime with a scripted engine', () => {
  let t: number;
  let engine: ScriptedEngine;
  let sink: RecordingSink;
  let dbFile: string;
  let store: AlarmStore;
  const notified: string[] = [];
  const make = () =>
    new AlarmRuntime({
      engine,
      store,
      sink,
      // what Alertmanager would be told is firing
      notifier: { update: (r) => isNotifiable(r) && notified.push(`${r.alarmId}:${r.latch}`) },
      evaluationIntervalMs: 1000,
      now: () => t,
    }).start(false);

  beforeEach(() => {
    t = 1_000_000;
    engine = new ScriptedEngine();
    engine.known = [hvTrip(false), deviceDown('hv-veto', false)];
    sink = new RecordingSink();
    dbFile = join(mkdtempSync(join(tmpdir(), 'alarms-rt-')), 'alarms.db');
    store = new AlarmStore(dbFile);
    notified.length = 0;
  });
  afterEach(() => {
    store.close();
    rmSync(dirname(dbFile), { recursive: true, force: true });
  });

  const feed = (rt: AlarmRuntime, ...c: Condition[]) => {
    engine.next = c;
    rt.onReadings([]);
  };

  it('knows the configured alarms before they fire, lists only the abnormal by default', () => {
    const rt = make();
    expect(rt.size).toBe(2);
    expect(rt.list()).toEqual([]);
    expect(rt.list({ all: true }).map((v) => v.state)).toEqual(['normal', 'normal']);
  });

  it('raises after the delay on tick, records beam, publishes state, event and notification', () => {
    const rt = make();
    rt.onReadings([beamReading(true, 140)]);
    feed(rt, hvTrip(true));
    expect(rt.list()).toEqual([]);
    t += 1000;
    rt.runTick();
    const [v] = rt.list();
    expect(v).toMatchObject({ alarmId: 'hv-trip:CsI01-A', state: 'active-unack', severity: 'alarm' });
    expect(sink.events).toEqual([
      expect.objectContaining({ action: 'raise', to: 'active-unack', beam: { on: true, power_kw: 140 } }),
    ]);
    expect(sink.states.get('hv-trip:CsI01-A')?.state).toBe('active-unack');
    expect(notified).toEqual(['hv-trip:CsI01-A:active-unack']);
    expect(sink.events[0].seq).toBeGreaterThan(0);
  });

  it('ack several at once: per alarm result, unknown and not-ackable ones refused', () => {
    const rt = make();
    feed(rt, hvTrip(true, { delayMs: 0 }));
    const res = rt.ack(['hv-trip:CsI01-A', 'device-down:hv-veto', 'nope'], { by: 'alice', origin: 'cli' });
    expect(res).toEqual([
      { alarmId: 'hv-trip:CsI01-A', ok: true, state: 'active-ack' },
      {
        alarmId: 'device-down:hv-veto',
        ok: false,
        state: 'normal',
        error: expect.stringMatching(/nothing to acknowledge/),
      },
      { alarmId: 'nope', ok: false, error: 'unknown alarm "nope"' },
    ]);
    expect(() => rt.shelve('nope', { by: 'a', reason: 'r', until: t + 1 })).toThrow(/unknown alarm/);
  });

  const view = (rt: AlarmRuntime, id: string) => rt.list({ alarmIds: [id] })[0];

  it('an HV trip: the hv-deviation it causes stands under hv-trip (suppressed, not raised or sent)', () => {
    const rt = make();
    const deviation = (active: boolean): Condition => ({
      ...hvTrip(active, { delayMs: 0 }),
      alarmId: 'hv-deviation:CsI01-A',
      rule: 'hv-deviation',
      message: active ? 'VMon 0 V is 1300 V below VSet 1300 V (limit 20 V)' : 'VMon at VSet',
    });
    feed(rt, deviation(true), hvTrip(true, { delayMs: 0 }));
    t += 10;
    rt.runTick();
    expect(sink.events.filter((e) => e.action === 'raise').map((e) => e.alarmId)).toEqual([
      'hv-trip:CsI01-A',
    ]);
    expect(view(rt, 'hv-deviation:CsI01-A')).toMatchObject({
      state: 'suppressed',
      suppressedBy: 'hv-trip:CsI01-A',
    });
    expect(notified).toEqual(['hv-trip:CsI01-A:active-unack']);
    // the channel is reset: the trip clears and the deviation is judged on its own again
    feed(rt, hvTrip(false), deviation(false));
    expect(view(rt, 'hv-deviation:CsI01-A').suppressedBy).toBeUndefined();
    expect(view(rt, 'hv-deviation:CsI01-A').state).toBe('normal');
    // a deviation without a trip is raised as before
    feed(rt, deviation(true));
    t += 10;
    rt.runTick();
    expect(view(rt, 'hv-deviation:CsI01-A').state).toBe('active-unack');
  });

  it('a crate outage: one device alarm, its 64 channels suppressed, then re-evaluated', () => {
    const rt = make();
    const channels = (active: boolean) => Array.from({ length: 64 }, (_, i) => vetoChannel(i, active));
    // the channels go stale first, the crate alarm's condition comes with them
    feed(rt, ...channels(true), deviceDown('hv-veto', true));
    t += 1000;
    rt.runTick();
    const raised = sink.events.filter((e) => e.action === 'raise');
    expect(raised.map((e) => e.alarmId)).toEqual(['device-down:hv-veto']);
    expect(rt.list({ states: ['suppressed'] })).toHaveLength(64);
    expect(rt.list({ states: ['suppressed'] })[0].suppressedBy).toBe('device-down:hv-veto');
    expect(notified).toEqual(['device-down:hv-veto:active-unack']);
    // an unrelated alarm on another crate is not suppressed
    feed(rt, hvTrip(true, { delayMs: 0 }));
    expect(rt.list({ states: ['active-unack'] }).map((v) => v.alarmId)).toContain('hv-trip:CsI01-A');
    // the crate answers again and fresh readings clear the channels within their delay
    feed(rt, deviceDown('hv-veto', false));
    expect(rt.list({ states: ['suppressed'] })).toHaveLength(0);
    t += 100;
    feed(rt, ...channels(false));
    t += 1000;
    rt.runTick();
    expect(sink.events.filter((e) => e.action === 'raise').map((e) => e.alarmId)).toEqual([
      'device-down:hv-veto',
      'hv-trip:CsI01-A',
    ]);
    // the tree shows the crate and its channels
    const devices = rt.tree().find((n) => n.id === 'devices');
    expect(devices?.children.map((c) => c.id)).toEqual(['hv-crystal', 'hv-veto']);
    expect(devices?.state).toBe('active-unack'); // the hv-crystal trip
    const veto = devices?.children.find((c) => c.id === 'hv-veto');
    expect(veto?.state).toBe('cleared-unack'); // the crate alarm, latched until acknowledged
    expect(veto?.children).toHaveLength(64);
  });

  it('a device down does not mark (nor store) its idle alarms; one whose condition comes later is suppressed at once', () => {
    engine.known = [
      deviceDown('hv-veto', false),
      ...Array.from({ length: 64 }, (_, i) => vetoChannel(i, false)),
    ];
    const rt = make();
    const commit = jest.spyOn(store, 'commit');
    feed(rt, deviceDown('hv-veto', true));
    // only the crate's own record is written: its 64 idle channels are not touched
    expect(commit.mock.calls.map(([records]) => records.map((r) => r.alarmId))).toEqual([
      ['device-down:hv-veto'],
    ]);
    expect(rt.list({ all: true }).filter((v) => v.suppressedBy)).toEqual([]);
    feed(rt, vetoChannel(3, true));
    t += 1000;
    rt.runTick();
    expect(view(rt, 'hv-stale:PSV02-B')).toMatchObject({
      state: 'suppressed',
      suppressedBy: 'device-down:hv-veto',
    });
    expect(sink.events.filter((e) => e.action === 'raise').map((e) => e.alarmId)).toEqual([
      'device-down:hv-veto',
    ]);
    // the crate back: the marked one is released and judged again, the others were never marked
    feed(rt, deviceDown('hv-veto', false));
    expect(view(rt, 'hv-stale:PSV02-B').suppressedBy).toBeUndefined();
    commit.mockRestore();
  });

  it('survives a restart: states, acks, shelves and the journal come back from the store', () => {
    const rt = make();
    feed(rt, hvTrip(true, { delayMs: 0 }), deviceDown('hv-veto', true));
    t += 1000;
    rt.runTick();
    rt.ack(['hv-trip:CsI01-A'], { by: 'alice', comment: 'looking' });
    rt.shelve('device-down:hv-veto', { by: 'bob', reason: 'crate in maintenance', until: t + 60_000 });
    const journal = rt.journal({});
    rt.stop();
    store.close();

    store = new AlarmStore(dbFile);
    sink = new RecordingSink();
    const again = make();
    expect(again.list().map((v) => [v.alarmId, v.state])).toEqual([
      ['device-down:hv-veto', 'shelved'],
      ['hv-trip:CsI01-A', 'active-ack'],
    ]);
    expect(again.list({ alarmIds: ['hv-trip:CsI01-A'] })[0].ack).toMatchObject({
      by: 'alice',
      comment: 'looking',
    });
    expect(again.journal({})).toEqual(journal);
    expect(again.journal({ alarmId: 'hv-trip:CsI01-A', limit: 1 })[0].action).toBe('ack');
    // the retained states are re-published on start
    expect(sink.states.get('hv-trip:CsI01-A')?.state).toBe('active-ack');
    // the shelf still expires on time after the restart
    t += 60_000;
    again.runTick();
    expect(again.list({ alarmIds: ['device-down:hv-veto'] })[0].state).toBe('active-unack');
  });

  it('a rule engine that throws is counted, the runtime goes on', () => {
    const rt = make();
    engine.onReadings = () => {
      throw new Error('bad rule');
    };
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    rt.onReadings([]);
    write.mockRestore();
    expect(rt.counters.engineErrors).toBe(1);
  });
});
