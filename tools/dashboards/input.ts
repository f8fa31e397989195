/**
 * What the dashboards are generated from: the system configuration (detector.yaml's crystals,
 * panels, PMTs and sensors, the device profiles' units and status bits, the calibration in force,
 * the raw retention policy) and the alarm rules of alarms.yaml.
 */
import { loadSystemConfig, type SystemConfig } from '@cicenns/model';
import { loadAlarmConfig, type AlarmConfigFile } from '../../apps/alarms/src/rules/alarm-config';

export interface DashboardInput {
  system: SystemConfig;
  alarms: AlarmConfigFile;
  /** the calibration in force at this time is the one the dashboards compare against */
  at: number;
}

/** The shipped configuration (or `configFile`, or $CICENNS_CONFIG) and its alarm rules. */
export function loadDashboardInput(
  configFile?: string,
  env: NodeJS.ProcessEnv = process.env,
): DashboardInput {
  const system = loadSystemConfig(configFile, env);
  const alarms = loadAlarmConfig(system.app.files.alarms);
  // Far future: the highest version in the files, so the output does not depend on the clock.
  return { system, alarms, at: Number.MAX_SAFE_INTEGER };
}
