import type { JournalEvent, Reading } from '@cicenns/contracts';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  alarmOwnershipOf,
  alarmSliceOf,
  ConfigError,
  loadSystemConfig,
  type SystemConfig,
} from '@cicenns/model';
import { alarmConfigOf, alarmRulesFile, createRuleEngine } from '../alarms.module';
import { loadAlarmConfig } from './alarm-config';
import { DefaultRuleEngine } from './rule-engine';
import { AlarmRuntime } from '../runtime/alarm-runtime';
import { AlarmStore } from '../runtime/alarm-store';
import { configWithAlarmPartitions } from '../../../../test/support/alarm-partitions';
import { commissionEvery } from '../../../../test/support/fixtures/commissioned';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const file = configWithAlarmPartitions();
const full = loadSystemConfig(file, {});
const instanceCfg = (instance: string) => loadSystemConfig(file, { CICENNS_INSTANCE: instance });
const ids = (cfg: SystemConfig) =>
  createRuleEngine(cfg)
    .knownAlarms()
    .map((a) => a.alarmId);

describe('an alarm partition works on its slice of the configuration', () => {
  it("each instance holds only its alarms; together exactly the single service's, none twice", () => {
    const single = ids(loadSystemConfig(undefined, {}));
    const a = ids(alarmConfigOf(instanceCfg('a')));
    const b = ids(alarmConfigOf(instanceCfg('b')));
    expect(new Set([...a, ...b]).size).toBe(a.length + b.length); // none in both
    expect([...a, ...b].sort()).toEqual([...single].sort());
    const o = alarmOwnershipOf(full);
    expect(a.filter((id) => o.ownerOfAlarm(id) !== 'a')).toEqual([]);
    expect(b.filter((id) => o.ownerOfAlarm(id) !== 'b')).toEqual([]);
    // the alarms that are not per channel are the system partition's
    for (const id of [
      'daq-down:daq',
      'stale-beam:beam',
      'historian-backlog:historian',
      'broker-drops:broker',
    ])
      expect({ id, inA: a.includes(id), inB: b.includes(id) }).toEqual({ id, inA: true, inB: false });
  });

  it('the slice holds its PMTs, sensors, groups, devices and their calibrations', () => {
    const slice = alarmSliceOf(full, 'b');
    expect(slice.detector.pmts.length).toBeGreaterThan(0);
    expect(slice.detector.pmts.every((p) => p.hv.device === 'hv-veto')).toBe(true);
    expect(slice.detector.crystals).toEqual([]);
    expect(slice.detector.panels.length).toBe(full.detector.panels.length);
    expect(slice.detector.sensors.map((s) => s.device)).toEqual(
      full.detector.sensors.filter((s) => s.device === 'pt100-3').map((s) => s.device),
    );
    expect(slice.app.devices.map((d) => d.id)).toEqual(['hv-veto', 'pt100-3']);
    const p = slice.detector.pmts[0];
    expect(slice.detector.calibrationHistory(p.id)).toEqual(full.detector.calibrationHistory(p.id));
    expect(slice.detector.pmt(p.id)!.limits).toEqual(full.detector.pmt(p.id)!.limits);
    // the single alarm service's configuration is the whole one
    expect(alarmConfigOf(loadSystemConfig(undefined, {}))).toBeDefined();
  });

  /** The DAQ publishes once, then is silent for 60 s (twice the stale limit) while the rest stays fresh. */
  const silentDaq = (instance: string, holdStale = true) => {
    const cfg = alarmConfigOf(instanceCfg(instance));
    commissionEvery(cfg.detector, []);
    const rules = loadAlarmConfig(alarmRulesFile(cfg));
    const engine = new DefaultRuleEngine(
      cfg,
      { ...rules, rules: { ...rules.rules, 'daq-down': { ...rules.rules['daq-down'], holdStale } } },
      { system: instance === 'a', slice: true },
    );
    let t = T0;
    const events: JournalEvent[] = [];
    const store = new AlarmStore(':memory:');
    const rt = new AlarmRuntime({
      engine,
      store,
      sink: { state: () => undefined, event: (ev) => events.push(ev) },
      notifier: { update: () => undefined },
      evaluationIntervalMs: 1000,
      now: () => t,
    }).start(false);
    const reading = (m: Reading['m'], id: string, fields: Reading['fields'], source: string): Reading => ({
      m,
      id,
      ts: t,
      quality: 'good',
      fields,
      source,
    });
    const fresh = () => [
      ...cfg.detector.pmts.map((p) => {
        const v = cfg.detector.currentCalibration(p.id, t)!.hvV;
        return reading('hv', p.id, { vset: v, vmon: v, power: 1, status: 1 }, 'hv');
      }),
      ...cfg.detector.sensors.map((s) => reading('temperature', s.id, { value_c: 22 }, 'pt100')),
      reading('beam', '', { on: true, power_kw: 140, rep_rate_hz: 25 }, 'beam'),
    ];
    const dcr = () =>
      cfg.detector.pmts.map((p) =>
        reading(
          'dcr',
          p.id,
          { rate_hz: cfg.detector.currentCalibration(p.id, t)!.dcrHz, window_s: 10 },
          'daq',
        ),
      );
    rt.onReadings([...fresh(), ...dcr()]);
    for (let i = 0; i < 60; i++) {
      t += 1000;
      rt.onReadings(fresh());
      rt.runTick();
    }
    const raised = events.filter((ev) => ev.action === 'raise').map((ev) => ev.alarmId);
    const back = () => {
      rt.onReadings([...fresh(), ...dcr()]);
      t += 1000;
      rt.onReadings(fresh());
      rt.runTick();
    };
    return { rt, store, raised, back };
  };

  it('daq-down, owned by the system partition, still holds back the stale DCR checks of the others', () => {
    const a = silentDaq('a');
    const b = silentDaq('b');
    // one daq-down, in the system partition
    expect(a.raised).toEqual(['daq-down:daq']);
    // and none of the veto partition's stale DCR alarms (nor a second daq-down)
    expect(b.raised).toEqual([]);
    a.store.close();
    b.store.close();
  });

  it("holdStale false: another partition's stale DCR alarms stand under the system partition's daq-down, as with one service", () => {
    const { rt, store, raised, back } = silentDaq('b', false);
    const staleDcr = (states?: Parameters<AlarmRuntime['list']>[0]) =>
      rt.list(states ?? { all: true }).filter((v) => v.alarmId.startsWith('stale-dcr:'));
    expect(raised).toEqual([]); // no daq-down of its own: that is partition a's
    expect(rt.list({ all: true }).map((v) => v.alarmId)).not.toContain('daq-down:daq');
    const suppressed = staleDcr({ states: ['suppressed'] });
    expect(suppressed.length).toBe(staleDcr().length);
    expect(suppressed.length).toBeGreaterThan(0);
    expect(suppressed.every((v) => v.conditionActive && v.suppressedBy === 'daq-down:daq')).toBe(true);
    // the DAQ is back: released, and nothing was raised on the way
    back();
    expect(staleDcr({ states: ['suppressed'] })).toEqual([]);
    expect(staleDcr().filter((v) => v.conditionActive || v.state !== 'normal')).toEqual([]);
    store.close();
  });

  it("checks each override against the whole configuration: another partition's is fine, one matching nothing anywhere stops start-up", () => {
    // T-hall hangs on pt100-2 (partition a): b's slice has no subject it matches
    const b = () => createRuleEngine(alarmConfigOf(instanceCfg('b')), full);
    expect(b).not.toThrow();
    const alarmsFile = join(dirname(file), 'alarms.yaml');
    const text = readFileSync(alarmsFile, 'utf8');
    try {
      writeFileSync(alarmsFile, text.replace('  - { match: T-hall,', '  - { match: T-hal,'));
      expect(b).toThrow(ConfigError);
      expect(b).toThrow(
        /alarms\.yaml.*overrides\[0\]\.match.*"T-hal" matches no subject of rule temperature-rate/s,
      );
      // without the whole configuration (a caller that has only the slice) it is not checked
      expect(() => createRuleEngine(alarmConfigOf(instanceCfg('b')))).not.toThrow();
    } finally {
      writeFileSync(alarmsFile, text);
    }
  });
});
