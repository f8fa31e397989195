import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfigDir } from '@cicenns/model';

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
