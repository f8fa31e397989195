import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from './config-error';
import { resolveAppPaths } from './config-paths';
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
import { formatDuration } from './retention';
import { alarmOwnershipOf } from './alarm-partitions';
import { applyInstanceEnv, checkShareGroup, instancePath } from './scale-out';

export interface SystemConfig {
  /** the main configuration file that was read */
  file: string;
  /** every path setting already absolute (relative ones resolved against their file's directory) */
  app: AppConfigFile;
  detector: Detector;
  profiles: Map<string, DeviceProfile>;
  /** profile name -> the file it was read from (for messages) */
  profileFiles: Map<string, string>;
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
 * (documented in README): MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD, INFLUX_URL, INFLUX_DB, API_HOST,
 * PORT, ALERTMANAGER_URL, CICENNS_INSTANCE (scaleOut.instance).
 */
export function loadSystemConfig(file?: string, env: NodeJS.ProcessEnv = process.env): SystemConfig {
  const mainFile = resolve(file ?? env.CICENNS_CONFIG ?? join(defaultConfigDir(), 'cicenns.yaml'));
  const app = loadYamlFile(mainFile, appConfigSchema);
  applyEnv(app, env);
  resolveAppPaths(app, dirname(mainFile));
  applyInstance(mainFile, app, env);

  const { profiles, files: profileFiles } = loadProfiles(app.files.profilesDir);
  const detectorFile = app.files.detector;
  const calibrationFile = app.files.calibration;
  const detector = new Detector(
    loadYamlFile(detectorFile, detectorSchema),
    loadYamlFile(calibrationFile, calibrationFileSchema).records,
  );
  crossCheck(mainFile, detectorFile, calibrationFile, app, profiles, detector);
  const cfg: SystemConfig = { file: mainFile, app, detector, profiles, profileFiles };
  alarmOwnershipOf(cfg); // partitions checked at load, for every service (the API routes by them)
  return cfg;
}

function applyEnv(app: AppConfigFile, env: NodeJS.ProcessEnv): void {
  if (env.MQTT_URL) app.mqtt.url = env.MQTT_URL;
  // one broker user per service (deploy/mosquitto/acl) while all share one file: from the
  // service's own environment file (deploy/systemd: /etc/cicenns/<service>.env)
  if (env.MQTT_USERNAME) app.mqtt.username = env.MQTT_USERNAME;
  if (env.MQTT_PASSWORD) app.mqtt.password = env.MQTT_PASSWORD;
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

/**
 * One instance of several (scaleOut.instance or CICENNS_INSTANCE): its own spool, dead-letter
 * and (alarm partitions) alarm store files next to the configured ones, since two processes must not share one SQLite spool.
 */
function applyInstance(mainFile: string, app: AppConfigFile, env: NodeJS.ProcessEnv): void {
  applyInstanceEnv(app.scaleOut, env);
  checkShareGroup(mainFile, app.scaleOut, app.mqtt.clientIdPrefix);
  const { instance } = app.scaleOut;
  app.influx.spoolPath = instancePath(app.influx.spoolPath, instance);
  app.intake.deadLetterPath = instancePath(app.intake.deadLetterPath, instance);
  // an alarm partition's store holds its alarms only (one alarm service: the file as configured)
  if (Object.keys(app.scaleOut.alarmPartitions).length > 0)
    app.alarms.storePath = instancePath(app.alarms.storePath, instance);
}

function loadProfiles(dir: string): { profiles: Map<string, DeviceProfile>; files: Map<string, string> } {
  const profiles = new Map<string, DeviceProfile>();
  const files = new Map<string, string>();
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
    files.set(profile.name, file);
  }
  return { profiles, files };
}

function crossCheck(
  mainFile: string,
  detectorFile: string,
  calibrationFile: string,
  app: AppConfigFile,
  profiles: Map<string, DeviceProfile>,
  detector: Detector,
): void {
  const raw = app.influx.tiers.raw;
  if (raw.durationMs !== 0 && raw.durationMs <= app.intake.maxAgeMs)
    // InfluxDB drops points older than the policy: what the intake accepts would be refused
    throw new ConfigError(
      mainFile,
      'influx.tiers.raw.duration',
      `raw readings kept ${formatDuration(raw.durationMs)}, not longer than intake.maxAgeMs (${formatDuration(app.intake.maxAgeMs)}): readings the intake accepts would be refused by InfluxDB`,
    );
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
    checkAddressRange(mainFile, where, d, profile);
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
  // one name space for the whole inventory: alarm globs and the API's subjects match any kind
  const names = new Map<string, string>();
  const unique = (id: string, path: string, what: string) => {
    const other = names.get(id);
    if (other) throw new ConfigError(detectorFile, path, `duplicate name "${id}" (already used by ${other})`);
    names.set(id, what);
  };
  detector.crystals.forEach((c, i) => unique(c.id, `crystals[${i}].id`, 'a crystal'));
  detector.panels.forEach((c, i) => unique(c.id, `panels[${i}].id`, 'a veto panel'));
  detector.sensors.forEach((s, i) => unique(s.id, `sensors[${i}].id`, 'a sensor'));
  detector.pmts.forEach((p) => {
    const path = `${p.group === 'crystal' ? 'crystals' : 'panels'}(${p.parentId}).pmts(${p.id})`;
    unique(p.id, `${path}.id`, 'a PMT');
    checkRef(`${path}.hv`, p.id, p.hv.device, p.hv.channel, 'hv');
    if (p.sensorId !== undefined && !detector.sensor(p.sensorId)) {
      throw new ConfigError(
        detectorFile,
        `${p.group === 'crystal' ? 'crystals' : 'panels'}(${p.parentId}).sensor`,
        `unknown sensor "${p.sensorId}"`,
      );
    }
    if (!detector.currentCalibration(p.id, Number.MAX_SAFE_INTEGER)) {
      throw new ConfigError(calibrationFile, 'records', `no calibration record for PMT ${p.id}`);
    }
  });
  detector.sensors.forEach((s, i) => checkRef(`sensors[${i}]`, s.id, s.device, s.channel, 'temperature'));
}

/**
 * Every channel's unit id and register addresses must exist on the wire (unit id 0-255, address
 * 0-65535); otherwise the poller would start and fail every poll with a RangeError.
 */
function checkAddressRange(
  mainFile: string,
  where: string,
  d: AppConfigFile['devices'][number],
  profile: DeviceProfile,
): void {
  const a = profile.addressing;
  const last = d.channels - 1;
  if (a.unitIdPerChannel) {
    if (d.unitId + last > 255) {
      throw new ConfigError(
        mainFile,
        `${where}.unitId`,
        `profile ${profile.name} gives every channel its own unit id (unitId + channel): ` +
          `${d.unitId} + ${last} = ${d.unitId + last} is beyond 255; lower unitId or channels`,
      );
    }
    return;
  }
  for (const [name, r] of Object.entries(profile.registers)) {
    const end = a.base + last * (a.stride ?? 0) + r.offset + (r.type.endsWith('16') ? 1 : 2) - 1;
    if (end > 65535) {
      throw new ConfigError(
        mainFile,
        `${where}.channels`,
        `register ${name} of channel ${last} would be at address ${end}, beyond 65535 ` +
          `(profile ${profile.name}: base ${a.base} + channel * stride ${a.stride} + offset ${r.offset})`,
      );
    }
  }
}
