import type { AlarmView, Reading } from '@cicenns/contracts';
import { loadSystemConfig } from '@cicenns/model';
import { PmtStates } from './pmt-states';

const cfg = loadSystemConfig(undefined, {});
const ON = 1;
const RAMPING = 2;
const TRIPPED = 64;

const hv = (id: string, status: number | undefined, quality: Reading['quality'] = 'good'): Reading => ({
  m: 'hv',
  id,
  ts: Date.now(),
  quality,
  fields: status === undefined ? {} : { status, vmon: 1000 },
  source: 'hv-crystal',
});
const feed = (s: PmtStates, rs: Reading[]) => {
  const latest = new Map(rs.map((r) => [r.id, r]));
  s.onReadings(rs, (id) => latest.get(id));
};
const alarm = (id: string, subject: string, state: AlarmView['state'], severity: 'alarm' | 'warning') =>
  ({ alarmId: `${id}:${subject}`, state, severity, subject: { kind: 'pmt', id: subject } }) as AlarmView;

describe('PmtStates', () => {
  it('starts with every PMT without data, counted in each grouping', () => {
    const s = new PmtStates(cfg);
    expect(s.size).toBe(94);
    expect(s.groups('kind').map((g) => [g.id, g.pmts, g.counts['no-data'], g.worst])).toEqual([
      ['crystal', 30, 30, 'no-data'],
      ['veto', 64, 64, 'no-data'],
    ]);
    expect(s.groups('crate').map((g) => g.id)).toEqual(['hv-crystal', 'hv-veto']);
    expect(s.groups('parent')).toHaveLength(47);
  });

  it('takes the HV state from the status bits, as the console does', () => {
    const s = new PmtStates(cfg);
    feed(s, [hv('CsI01-A', ON), hv('CsI01-B', ON | RAMPING), hv('CsI02-A', 0), hv('CsI02-B', ON | TRIPPED)]);
    feed(s, [hv('CsI03-A', ON, 'bad'), hv('CsI03-B', undefined)]);
    const state = (id: string) => s.state(s.index.get(id)!);
    expect(['CsI01-A', 'CsI01-B', 'CsI02-A', 'CsI02-B', 'CsI03-A', 'CsI03-B'].map(state)).toEqual([
      'on',
      'ramp',
      'off',
      'trip',
      'no-data',
      'no-data',
    ]);
    const crystal = s.group('crate', 'hv-crystal')!;
    expect(crystal.counts).toMatchObject({ on: 1, ramp: 1, off: 1, trip: 1, 'no-data': 26 });
    expect(crystal.worst).toBe('trip');
    expect(s.group('crate', 'hv-veto')!.worst).toBe('no-data');
  });

  it('raises a PMT by its live alarms and those of its crystal and sensor, and lowers it when they clear', () => {
    const s = new PmtStates(cfg);
    feed(
      s,
      cfg.detector.pmts.map((p) => hv(p.id, ON)),
    );
    expect(s.group('kind', 'crystal')!.worst).toBe('on');
    s.drainChanged('crate');
    s.onAlarm(alarm('dcr-high', 'PSV07-B', 'active-unack', 'warning'));
    expect(s.state(s.index.get('PSV07-B')!)).toBe('warning');
    expect(s.drainChanged('crate').map((g) => [g.id, g.worst])).toEqual([['hv-veto', 'warning']]);
    // an alarm on the crystal counts for both its tubes
    s.onAlarm(alarm('coinc', 'CsI05', 'active-ack', 'alarm'));
    expect(['CsI05-A', 'CsI05-B'].map((id) => s.state(s.index.get(id)!))).toEqual(['alarm', 'alarm']);
    expect(s.group('parent', 'CsI05')!.counts.alarm).toBe(2);
    // shelved or cleared: no longer counted
    s.onAlarm(alarm('coinc', 'CsI05', 'shelved', 'alarm'));
    s.onAlarm(alarm('dcr-high', 'PSV07-B', 'normal', 'warning'));
    expect(s.group('kind', 'crystal')!.worst).toBe('on');
    expect(s.group('kind', 'veto')!.counts).toMatchObject({ on: 64, warning: 0 });
    // a warning does not hide a trip
    feed(s, [hv('PSV01-A', ON | TRIPPED)]);
    s.onAlarm(alarm('imon', 'PSV01-A', 'active-unack', 'warning'));
    expect(s.state(s.index.get('PSV01-A')!)).toBe('trip');
  });

  it('counts two alarms on one subject until both have cleared', () => {
    const s = new PmtStates(cfg);
    s.onAlarm(alarm('a', 'CsI01-A', 'active-unack', 'alarm'));
    s.onAlarm(alarm('b', 'CsI01-A', 'active-unack', 'alarm'));
    s.onAlarm(alarm('a', 'CsI01-A', 'normal', 'alarm'));
    expect(s.state(0)).toBe('alarm');
    s.onAlarm(alarm('b', 'CsI01-A', 'normal', 'alarm'));
    expect(s.state(0)).toBe('no-data');
  });

  it('tells its listeners only when a state changed', () => {
    const s = new PmtStates(cfg);
    let calls = 0;
    s.onChange(() => calls++);
    feed(s, [hv('CsI01-A', ON)]);
    feed(s, [hv('CsI01-A', ON)]);
    expect(calls).toBe(1);
  });
});
