import { existsSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from './config-error';
import { Detector } from './detector';
import {
  appConfigSchema,
  calibrationFileSchema,
  detectorSchema,
  profileSchema,
  type AppConfigFile,
  type DeviceProfile,
} from './schemas';
import { loadYamlFile } from './yaml-file';

export interface SystemConfig {
  /** the main configuration file that was read */
  file: string;
  app: AppConfigFile;
  detector: Detector;
  profiles: Map<string, DeviceProfile>;
}

/** The repository's embedded defaults (config/), found from this file's location in src or dist. */
export function defaultConfigDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'config', 'cicenns.yaml'))) return join(dir, 'config');
    dir = dirname(dir);
  }
  throw new ConfigError('config/cicenns.yaml', '', 'embedded default configuration not found');
}

/**
 * Load and cross-check the whole configuration. The file comes from `file`, else
 * $CICENNS_CONFIG, else the embedded default. Environment variables override single settings
 * (documented in README): MQTT_URL, INFLUX_URL, INFLUX_DB, API_HOST, PORT, ALERTMANAGER_URL.
 */
export function loadSystemConfig(file?: string, env: NodeJS.ProcessEnv = process.env): SystemConfig {
  const mainFile = resolve(file ?? env.CICENNS_CONFIG ?? join(defaultConfigDir(), 'cicenns.yaml'));
  const app = loadYamlFile(mainFile, appConfigSchema);
  applyEnv(app, env);
  const baseDir = dirname(mainFile);
  const at = (p: string) => (isAbsolute(p) ? p : join(baseDir, p));

  const profiles = loadProfiles(at(app.files.profilesDir));
  const detectorFile = at(app.files.detector);
  const calibrationFile = at(app.files.calibration);
  const detector = new Detector(
    loadYamlFile(detectorFile, detectorSchema),
    loadYamlFile(calibrationFile, calibrationFileSchema).records,
  );
  crossCheck(mainFile, detectorFile, calibrationFile, app, profiles, detector);
  return { file: mainFile, app, detector, profiles };
}

function applyEnv(app: AppConfigFile, env: NodeJS.ProcessEnv): void {
  if (env.MQTT_URL) app.mqtt.url = env.MQTT_URL;
  if (env.INFLUX_URL !== undefined) app.influx.url = env.INFLUX_URL;
  if (env.INFLUX_DB) app.influx.database = env.INFLUX_DB;
  if (env.API_HOST) app.api.host = env.API_HOST;
  if (env.ALERTMANAGER_URL !== undefined) app.alarms.alertmanagerUrl = env.ALERTMANAGER_URL;
  if (env.PORT) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConfigError('environment', 'PORT', `must be a TCP port number, got "${env.PORT}"`);
    }
    app.api.port = port;
  }
}

function loadProfiles(dir: string): Map<string, DeviceProfile> {
  const profiles = new Map<string, DeviceProfile>();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml'));
  } catch (err) {
    throw new ConfigError(dir, '', `cannot read profiles directory: ${(err as Error).message}`);
  }
  for (const n of names) {
    const file = join(dir, n);
    const profile = loadYamlFile(file, profileSchema);
    if (profiles.has(profile.name))
      throw new ConfigError(file, 'name', `duplicate profile name "${profile.name}"`);
    profiles.set(profile.name, profile);
  }
  return profiles;
}

function crossCheck(
  mainFile: string,
  detectorFile: string,
  calibrationFile: string,
  app: AppConfigFile,
  profiles: Map<string, DeviceProfile>,
  detector: Detector,
): void {
  const links = new Set<string>();
  app.links.forEach((l, i) => {
    if (links.has(l.id)) throw new ConfigError(mainFile, `links[${i}].id`, `duplicate link id "${l.id}"`);
    links.add(l.id);
  });
  const devices = new Map<string, { kind: string; channels: number }>();
  app.devices.forEach((d, i) => {
    const where = `devices[${i}]`;
    if (devices.has(d.id)) throw new ConfigError(mainFile, `${where}.id`, `duplicate device id "${d.id}"`);
    if (!links.has(d.link)) throw new ConfigError(mainFile, `${where}.link`, `unknown link "${d.link}"`);
    const profile = profiles.get(d.profile);
    if (!profile) {
      throw new ConfigError(
        mainFile,
        `${where}.profile`,
        `unknown profile "${d.profile}" (known: ${[...profiles.keys()].join(', ')})`,
      );
    }
    if (d.channels > profile.maxChannels) {
      throw new ConfigError(
        mainFile,
        `${where}.channels`,
        `${d.channels} channels, profile ${profile.name} allows ${profile.maxChannels}`,
      );
    }
    devices.set(d.id, { kind: profile.kind, channels: d.channels });
  });

  const used = new Map<string, string>();
  const checkRef = (path: string, owner: string, device: string, channel: number, kind: string) => {
    const dev = devices.get(device);
    if (!dev) throw new ConfigError(detectorFile, path, `unknown device "${device}"`);
    if (dev.kind !== kind)
      throw new ConfigError(detectorFile, path, `device "${device}" is a ${dev.kind} device, not ${kind}`);
    if (channel >= dev.channels) {
      throw new ConfigError(
        detectorFile,
        path,
        `channel ${channel} beyond ${device}'s ${dev.channels} channels`,
      );
    }
    const key = `${device}/${channel}`;
    const other = used.get(key);
    if (other) throw new ConfigError(detectorFile, path, `${key} is already assigned to ${other}`);
    used.set(key, owner);
  };
  const seen = new Set<string>();
  detector.pmts.forEach((p) => {
    const path = `${p.group === 'crystal' ? 'crystals' : 'panels'}(${p.parentId}).pmts(${p.id}).hv`;
    if (seen.has(p.id)) throw new ConfigError(detectorFile, path, `duplicate PMT id "${p.id}"`);
    seen.add(p.id);
    checkRef(path, p.id, p.hv.device, p.hv.channel, 'hv');
    if (!detector.sensor(p.sensorId)) {
      throw new ConfigError(detectorFile, `${p.parentId}.sensor`, `unknown sensor "${p.sensorId}"`);
    }
    if (!detector.currentCalibration(p.id, Number.MAX_SAFE_INTEGER)) {
      throw new ConfigError(calibrationFile, 'records', `no calibration record for PMT ${p.id}`);
    }
  });
  detector.sensors.forEach((s, i) => checkRef(`sensors[${i}]`, s.id, s.device, s.channel, 'temperature'));
}
