import { join } from 'node:path';
import { defaultConfigDir, loadSystemConfig, type CalibrationRecord } from '@cicenns/model';
import { loadAlarmConfig } from './alarm-config';

/** The repository's default configuration, shared by the rule specs. */
export const systemConfig = loadSystemConfig(undefined, {});
export const alarmConfig = loadAlarmConfig(join(defaultConfigDir(), 'alarms.yaml'));
export const rules = alarmConfig.rules;

export function calibrationOf(pmt: string): CalibrationRecord {
  return systemConfig.detector.currentCalibration(pmt, Date.parse('2026-06-01T00:00:00Z'))!;
}
