import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading } from '@cicenns/contracts';
import { defaultConfigDir, loadSystemConfig } from '@cicenns/model';
import { parse, stringify } from 'yaml';
import { writeRenamedDetector } from '../../../../test/support/renamed-detector';
import { hvDeviation, statusMasks } from './hv-rules';
import { DefaultRuleEngine } from './rule-engine';
import { unknownStatusBits } from './status-bit-check';
import { defaultRuleConfig } from '../../../../test/support/fixtures/default-rule-config';
import { commissionEvery } from '../../../../test/support/fixtures/commissioned';

const { alarmConfig, rules, systemConfig } = defaultRuleConfig();

const T0 = Date.parse('2026-06-01T00:00:00Z');

function configCopy(withoutSensor: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'alarm-cfg-'));
  cpSync(defaultConfigDir(), dir, { recursive: true });
  writeRenamedDetector(dir, { withoutSensor });
  return { dir, file: join(dir, 'cicenns.yaml') };
}

describe('hv-deviation under a trip (as hv-off)', () => {
  const masks = statusMasks(systemConfig.profiles.get('generic-hv'));
  const p = rules['hv-deviation'];
  it('stays quiet while the channel reports tripped or interlock, even with the power register on', () => {
    const tripped = { vmon: 0, vset: 1300, power: 1, status: (1 << 0) | (1 << 6), masks };
    expect(hvDeviation(tripped, p, undefined).severity).toBeUndefined();
    expect(hvDeviation(tripped, p, undefined).message).toMatch(/hv-trip/);
    const interlock = { ...tripped, status: (1 << 0) | (1 << 8) };
    expect(hvDeviation(interlock, p, undefined).severity).toBeUndefined();
    // the same deviation without a trip is an alarm
    expect(hvDeviation({ ...tripped, status: 1 }, p, undefined).severity).toBe('alarm');
  });

  it('from the engine: a tripped channel gives hv-trip, no active hv-deviation', () => {
    const e = new DefaultRuleEngine(systemConfig, alarmConfig);
    const hv = (status: number, vmon: number): Reading => ({
      m: 'hv',
      id: 'CsI03-A',
      ts: T0,
      quality: 'good',
      fields: { vset: 1400, vmon, power: 1, status },
      source: 'hv-crystal',
    });
    e.onReadings([hv(1, 1400)], T0);
    const out = e.onReadings([hv(1 << 6, 0)], T0 + 1000);
    const active = out.filter((c) => c.active).map((c) => c.rule);
    expect(active).toContain('hv-trip');
    expect(active).not.toContain('hv-deviation');
  });
});

describe('status flags no rule knows: a warning at start-up', () => {
  it('names the profile file, the bit and the known names', () => {
    const { dir, file } = configCopy();
    const prof = join(dir, 'profiles', 'generic-hv.yaml');
    const p = parse(readFileSync(prof, 'utf8'));
    p.statusBits['6'] = 'trip';
    writeFileSync(prof, stringify(p));
    const cfg = loadSystemConfig(file, {});
    const w = unknownStatusBits(cfg, alarmConfig);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain(`${prof}: statusBits.6: "trip"`);
    expect(w[0]).toMatch(/known: .*\btripped\b/);
  });

  it('none for the repository profiles', () => {
    expect(unknownStatusBits(systemConfig, alarmConfig)).toEqual([]);
  });
});

describe('a crystal without a temperature sensor', () => {
  const { file } = configCopy(['CsI03']);
  const cfg = loadSystemConfig(file, {});
  commissionEvery(cfg.detector);
  const cal = cfg.detector.currentCalibration('CsI03-A', T0)!;
  const reading = (m: 'dcr' | 'gain', fields: Record<string, number>, ts: number): Reading => ({
    m,
    id: 'CsI03-A',
    ts,
    quality: 'good',
    fields,
    source: 'daq',
  });

  it('the DCR alarm says it is judged at the reference temperature, and fires', () => {
    const e = new DefaultRuleEngine(cfg, alarmConfig);
    const out = e.onReadings([reading('dcr', { rate_hz: cal.dcrHz * 6, window_s: 10 }, T0)], T0);
    const high = out.find((c) => c.rule === 'dcr-high')!;
    expect(high.active).toBe(true);
    expect(high.message).toContain(
      `no temperature sensor configured for CsI03: judged at the reference temperature ${cal.dcrRefTempC} degC`,
    );
  });

  it('the gain drift alarm says so too; a PMT with a sensor has no such note', () => {
    const e = new DefaultRuleEngine(cfg, alarmConfig);
    const out = e.onReadings([reading('gain', { gain: cal.gain * 1.5 }, T0)], T0);
    expect(out.find((c) => c.rule === 'gain-drift')!.message).toMatch(
      /no temperature sensor configured for CsI03/,
    );
    const other = e.onReadings([{ ...reading('gain', { gain: cal.gain * 1.5 }, T0), id: 'CsI04-A' }], T0);
    expect(other.find((c) => c.rule === 'gain-drift')!.message).not.toMatch(/no temperature sensor/);
  });

  it('the engine and its known alarms do not include the missing sensor; the veto panels are VETO', () => {
    const e = new DefaultRuleEngine(cfg, alarmConfig);
    const ids = e.knownAlarms().map((a) => a.alarmId);
    expect(ids).not.toContain('temperature-range:T-CsI03');
    expect(ids).toContain('hv-trip:VETO01-A');
    expect(e.knownAlarms().find((a) => a.alarmId === 'hv-trip:VETO01-A')!.subject).toMatchObject({
      parent: 'VETO01',
      parentKind: 'panel',
    });
  });
});
