import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfigDir, type Detector } from '@cicenns/model';
import type { Reading } from '@cicenns/contracts';
import { ROOT } from './processes';

/**
 * Two alarm partitions of the embedded detector: `a` (system) the crystals' crate and their
 * sensors, `b` the veto crate with pt100-3, which carries T-psv, the veto panels' sensor.
 */
export const TWO_ALARM_PARTITIONS =
  '{ a: { devices: [hv-crystal, pt100-1, pt100-2], system: true }, b: { devices: [hv-veto, pt100-3] } }';

/**
 * A copy of the embedded configuration (in a temp dir, its var/ files there too) with these
 * alarm partitions (YAML flow text) under scaleOut. Returns the path of its cicenns.yaml.
 */
export function configWithAlarmPartitions(partitions: string = TWO_ALARM_PARTITIONS): string {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-alarm-parts-'));
  cpSync(defaultConfigDir(), dir, { recursive: true });
  const file = join(dir, 'cicenns.yaml');
  const yaml = readFileSync(file, 'utf8');
  if (!yaml.includes("  instance: ''"))
    throw new Error('scaleOut.instance not found in the embedded cicenns.yaml');
  writeFileSync(file, yaml.replace("  instance: ''", `  instance: ''\n  alarmPartitions: ${partitions}`));
  return file;
}

/**
 * Three alarm partitions of the embedded detector with a second crystal crate (see
 * withSecondCrystalCrate): `a` (system) CsI01-CsI08 on hv-crystal with their sensors' pt100-1,
 * `c` CsI09-CsI15 on hv-crystal-2 with pt100-2 (their sensors and T-hall), `b` the veto crate
 * with pt100-3.
 */
export const THREE_ALARM_PARTITIONS =
  '{ a: { devices: [hv-crystal, pt100-1], system: true }, b: { devices: [hv-veto, pt100-3] }, c: { devices: [hv-crystal-2, pt100-2] } }';

/**
 * Change a test configuration (parsed cicenns.yaml) so the crystals CsI09-CsI15 hang on a second
 * crystal crate, hv-crystal-2 (unit 3 on the HV gateway, channels 0-13): the embedded detector
 * has only two HV crates, one too few for three partitions each with tubes. The changed
 * detector.yaml is written to `dir`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function withSecondCrystalCrate(cfg: Record<string, any>, dir: string): void {
  const moved = /\{ id: (CsI(?:09|1[0-5])-[AB]), hv: \{ device: hv-crystal, channel: (\d+) \} \}/g;
  const text = readFileSync(join(ROOT, 'config', 'detector.yaml'), 'utf8');
  const detector = text.replace(
    moved,
    (_m, id: string, channel: string) =>
      `{ id: ${id}, hv: { device: hv-crystal-2, channel: ${Number(channel) - 16} } }`,
  );
  if (detector === text) throw new Error('withSecondCrystalCrate: no crystal tube of CsI09-CsI15 found');
  cfg.files.detector = join(dir, 'detector.yaml');
  writeFileSync(cfg.files.detector, detector);
  cfg.devices.push({
    id: 'hv-crystal-2',
    link: 'hv-gw',
    profile: 'generic-hv',
    unitId: 3,
    channels: 14,
    pollMs: 1000,
  });
}

/**
 * One readings batch as the intake publishes it, for every tube and sensor of `detector`: HV on
 * at its calibrated set point, temperatures at 22 degC, DCR at `dcrFactor` x calibration (1 when
 * not given).
 */
export function readingsBatch(detector: Detector, dcrFactor: Map<string, number>, seq: number): string {
  const ts = Date.now();
  const good = { ts, quality: 'good' as const };
  const readings: Reading[] = [
    ...detector.sensors.map((s): Reading => ({
      ...good,
      m: 'temperature',
      id: s.id,
      fields: { value_c: 22 },
      source: 'pt100',
    })),
    ...detector.pmts.map((p): Reading => {
      const v = detector.currentCalibration(p.id, ts)!.hvV;
      return { ...good, m: 'hv', id: p.id, fields: { vset: v, vmon: v, power: 1, status: 1 }, source: 'hv' };
    }),
    ...detector.pmts.map((p): Reading => {
      const hz = detector.currentCalibration(p.id, ts)!.dcrHz * (dcrFactor.get(p.id) ?? 1);
      return { ...good, m: 'dcr', id: p.id, fields: { rate_hz: hz, window_s: 10 }, source: 'daq' };
    }),
  ];
  return JSON.stringify({ service: 'intake', seq, readings });
}
