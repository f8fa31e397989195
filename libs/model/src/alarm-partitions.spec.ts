import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alarmOwnershipOf, checkAlarmInstance, loadSystemConfig } from './index';
import { configError } from '../../../test/support/config-error';
import { configWithAlarmPartitions, TWO_ALARM_PARTITIONS } from '../../../test/support/alarm-partitions';

const TEMP = 'pt100-1, pt100-2, pt100-3';
const GOOD = TWO_ALARM_PARTITIONS;

describe('scaleOut.alarmPartitions: the alarm service split by devices', () => {
  it('absent: no partitions, every alarm owned by the single alarm service', () => {
    const o = alarmOwnershipOf(loadSystemConfig(undefined, {}));
    expect(o.partitions).toEqual([]);
    expect(o.ownerOfAlarm('dcr-high:CsI01A')).toBe('');
    checkAlarmInstance('f', o, ''); // any instance is the single one
  });

  it('a PMT by its HV device, a crystal or panel by its tubes, a sensor and device by theirs, the rest by the system one', () => {
    const cfg = loadSystemConfig(configWithAlarmPartitions(GOOD), {});
    const o = alarmOwnershipOf(cfg);
    expect(o.partitions).toEqual(['a', 'b']);
    expect(o.system).toBe('a');
    const crystalPmt = cfg.detector.pmts.find((p) => p.hv.device === 'hv-crystal')!;
    const vetoPmt = cfg.detector.pmts.find((p) => p.hv.device === 'hv-veto')!;
    expect(o.ownerOfAlarm(`dcr-high:${crystalPmt.id}`)).toBe('a');
    expect(o.ownerOfAlarm(`dcr-high:${vetoPmt.id}`)).toBe('b');
    expect(o.ownerOfSubject(vetoPmt.parentId)).toBe('b');
    expect(o.ownerOfSubject(crystalPmt.parentId)).toBe('a');
    expect(o.ownerOfSubject(cfg.detector.sensors[0].id)).toBe('a');
    expect(o.ownerOfAlarm('device-offline:hv-veto')).toBe('b');
    expect(o.ownerOfAlarm('daq-down:daq')).toBe('a');
    // every PMT has exactly one owner, and both partitions own some
    const owners = new Set(cfg.detector.pmts.map((p) => o.ownerOfSubject(p.id)));
    expect([...owners].sort()).toEqual(['a', 'b']);
  });

  it.each([
    [
      'an unknown device',
      `{ a: { devices: [hv-crystal, hv-veto, ${TEMP}, nope], system: true } }`,
      'scaleOut.alarmPartitions.a.devices[5]',
      /unknown device "nope"/,
    ],
    [
      'a device owned twice',
      `{ a: { devices: [hv-crystal, hv-veto, ${TEMP}], system: true }, b: { devices: [hv-veto] } }`,
      'scaleOut.alarmPartitions.b.devices[0]',
      /"hv-veto" is already owned by partition "a"/,
    ],
    [
      'a device owned by none',
      `{ a: { devices: [hv-crystal, ${TEMP}], system: true } }`,
      'scaleOut.alarmPartitions',
      /owned by no partition: hv-veto/,
    ],
    [
      'no system partition',
      `{ a: { devices: [hv-crystal, ${TEMP}] }, b: { devices: [hv-veto] } }`,
      'scaleOut.alarmPartitions',
      /no partition has system: true/,
    ],
    [
      'two system partitions',
      `{ a: { devices: [hv-crystal, ${TEMP}], system: true }, b: { devices: [hv-veto], system: true } }`,
      'scaleOut.alarmPartitions.b.system',
      /second system partition \(the first is "a"\)/,
    ],
    [
      'a partition id that is no instance id',
      `{ 'a/b': { devices: [hv-crystal, hv-veto, ${TEMP}], system: true } }`,
      'scaleOut.alarmPartitions.a/b',
      /letters, digits/,
    ],
    [
      'an unknown setting',
      `{ a: { devices: [hv-crystal, hv-veto, ${TEMP}], system: true, groups: [x] } }`,
      'scaleOut.alarmPartitions.a',
      /groups/,
    ],
  ])('refuses %s, naming file, path and reason', (_what, partitions, path, reason) => {
    const file = configWithAlarmPartitions(partitions);
    const e = configError(() => loadSystemConfig(file, {}));
    expect(e.file).toBe(file);
    expect(e.path).toBe(path);
    expect(e.reason).toMatch(reason);
  });

  it('refuses a crystal whose tubes are on devices of two partitions, naming it', () => {
    const file = configWithAlarmPartitions(GOOD);
    const detFile = join(file, '..', 'detector.yaml');
    const cfg = loadSystemConfig(file, {});
    const crystal = cfg.detector.crystals[0];
    const veto = cfg.detector.pmts.find((p) => p.hv.device === 'hv-veto')!;
    // swap the crystal's second tube with a veto tube: each crate keeps its channels
    const second = cfg.detector.pmt(crystal.pmts[1])!;
    const ref = (p: typeof veto) => `device: ${p.hv.device}, channel: ${p.hv.channel} }`;
    const text = readFileSync(detFile, 'utf8');
    if (!text.includes(ref(second)) || !text.includes(ref(veto)))
      throw new Error('hv references not found in detector.yaml');
    writeFileSync(
      detFile,
      text.replace(ref(second), '@@').replace(ref(veto), ref(second)).replace('@@', ref(veto)),
    );
    const e = configError(() => loadSystemConfig(file, {}));
    expect(e.path).toBe('scaleOut.alarmPartitions');
    expect(e.reason).toMatch(new RegExp(`${crystal.id}'s tubes .* partitions "a" and "b"`));
  });

  it('refuses a panel whose sensor is owned by another partition than its tubes, naming both', () => {
    const file = configWithAlarmPartitions(
      `{ a: { devices: [hv-crystal, ${TEMP}], system: true }, b: { devices: [hv-veto] } }`,
    );
    const e = configError(() => loadSystemConfig(file, {}));
    expect(e).toMatchObject({ file, path: 'scaleOut.alarmPartitions' });
    expect(e.reason).toMatch(/sensor T-psv is on a device of partition "a", its tubes of "b"/);
  });

  it('with partitions set, an alarm process whose instance is none of them stops, named', () => {
    const file = configWithAlarmPartitions(GOOD);
    const o = alarmOwnershipOf(loadSystemConfig(file, {}));
    checkAlarmInstance(file, o, 'b');
    const e = configError(() => checkAlarmInstance(file, o, 'c'));
    expect(e).toMatchObject({ file, path: 'scaleOut.instance' });
    expect(e.reason).toMatch(/"c" is none of the alarm partitions \(a, b\)/);
  });
});
