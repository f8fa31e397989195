import { z } from 'zod';
import { ConfigError } from './config-error';
import { Detector, type PmtGroupEntry } from './detector';
import type { DetectorFile } from './schemas';
import { INSTANCE_PATTERN, INSTANCE_RULE } from './instance-id';
import type { SystemConfig } from './load-config';

/**
 * The alarm service split by configuration (docs/DEPLOY-SCALE.md): each partition is one alarm
 * instance (its id is the CICENNS_INSTANCE of that process) and owns the alarms of the devices
 * listed. A PMT belongs to the owner of its HV device, a sensor to the owner of its device, a
 * crystal or panel to the owner of its tubes; the one `system` partition also holds the alarms
 * that are not per channel (daq-down, beam, historian backlog, services). Absent or empty: one
 * alarm service owning everything, as before.
 */
export const alarmPartitionSchema = z
  .object({
    devices: z.array(z.string().min(1)).default([]),
    system: z.boolean().default(false),
  })
  .strict();
/** partition id (an instance id, checked in scaleOutSchema) -> what it owns */
export type AlarmPartitions = Record<string, z.infer<typeof alarmPartitionSchema>>;

/** Who owns which subject: built once from the configuration, asked per alarm id. */
export interface AlarmOwnership {
  /** partition ids, in configuration order ([] = no split: the single alarm service) */
  readonly partitions: readonly string[];
  /** the partition holding the system alarms */
  readonly system: string;
  /** the owner of an alarm subject (PMT, sensor, crystal, panel, device); anything else: the system one */
  ownerOfSubject(subject: string): string;
  /** the owner of an alarm id `<rule>:<subject>` */
  ownerOfAlarm(alarmId: string): string;
}

const where = (id: string, rest = '') => `scaleOut.alarmPartitions.${id}${rest}`;

/**
 * Check the partitions against the devices and the detector (ConfigError with file, path and
 * reason) and index who owns what. `instance` is the process's scaleOut.instance: with
 * partitions set it must name one of them (an alarm process that owns nothing is a mistake).
 */
export function alarmOwnership(
  file: string,
  partitions: AlarmPartitions,
  deviceIds: readonly string[],
  detector: Detector,
): AlarmOwnership {
  const ids = Object.keys(partitions);
  const deviceOwner = new Map<string, string>();
  const known = new Set(deviceIds);
  let system = '';
  for (const id of ids) {
    if (!INSTANCE_PATTERN.test(id))
      throw new ConfigError(
        file,
        where(id),
        `a partition id is the instance id of its alarm process: ${INSTANCE_RULE}`,
      );
    const p = partitions[id];
    if (p.system) {
      if (system)
        throw new ConfigError(
          file,
          where(id, '.system'),
          `a second system partition (the first is "${system}")`,
        );
      system = id;
    }
    p.devices.forEach((d, i) => {
      if (!known.has(d)) throw new ConfigError(file, where(id, `.devices[${i}]`), `unknown device "${d}"`);
      const other = deviceOwner.get(d);
      if (other !== undefined)
        throw new ConfigError(
          file,
          where(id, `.devices[${i}]`),
          `device "${d}" is already owned by partition "${other}"`,
        );
      deviceOwner.set(d, id);
    });
  }
  const subjectOwner = new Map<string, string>();
  if (ids.length > 0) {
    if (!system)
      throw new ConfigError(
        file,
        'scaleOut.alarmPartitions',
        'no partition has system: true (one must hold the alarms that are not per channel)',
      );
    const unowned = deviceIds.filter((d) => !deviceOwner.has(d));
    if (unowned.length > 0)
      throw new ConfigError(
        file,
        'scaleOut.alarmPartitions',
        `devices owned by no partition: ${unowned.slice(0, 5).join(', ')}${unowned.length > 5 ? ', ...' : ''}`,
      );
    for (const d of deviceIds) subjectOwner.set(d, deviceOwner.get(d)!);
    for (const p of detector.pmts) subjectOwner.set(p.id, deviceOwner.get(p.hv.device)!);
    for (const s of detector.sensors) subjectOwner.set(s.id, deviceOwner.get(s.device)!);
    for (const g of [...detector.crystals, ...detector.panels]) {
      const [a, b] = g.pmts.map((t) => subjectOwner.get(t)!);
      if (a !== b)
        throw new ConfigError(
          file,
          'scaleOut.alarmPartitions',
          `${g.id}'s tubes ${g.pmts[0]} and ${g.pmts[1]} are on devices of partitions "${a}" and "${b}": a crystal or panel's tubes must have one owner`,
        );
      const sensorOwner = g.sensor === undefined ? a : subjectOwner.get(g.sensor);
      if (sensorOwner !== undefined && sensorOwner !== a)
        // the rules correct its tubes by its sensor's temperature: both must be judged in one place
        throw new ConfigError(
          file,
          'scaleOut.alarmPartitions',
          `${g.id}'s sensor ${g.sensor} is on a device of partition "${sensorOwner}", its tubes of "${a}": a crystal or panel and its sensor must have one owner`,
        );
      subjectOwner.set(g.id, a);
    }
  }
  const ownerOfSubject = (subject: string) => subjectOwner.get(subject) ?? system;
  return {
    partitions: ids,
    system,
    ownerOfSubject,
    ownerOfAlarm: (alarmId) => ownerOfSubject(alarmId.slice(alarmId.indexOf(':') + 1)),
  };
}

/** With partitions set, the alarm process's instance must be one of them. */
export function checkAlarmInstance(file: string, ownership: AlarmOwnership, instance: string): void {
  if (ownership.partitions.length === 0 || ownership.partitions.includes(instance)) return;
  throw new ConfigError(
    file,
    'scaleOut.instance',
    `"${instance}" is none of the alarm partitions (${ownership.partitions.join(', ')}): set CICENNS_INSTANCE to the partition this alarm process owns`,
  );
}

// one index per loaded configuration (it is not changed after loading)
const ownerships = new WeakMap<SystemConfig, AlarmOwnership>();

/** Who owns which alarm in this configuration (checked once by loadSystemConfig). */
export function alarmOwnershipOf(cfg: SystemConfig): AlarmOwnership {
  let o = ownerships.get(cfg);
  if (!o) {
    o = alarmOwnership(
      cfg.file,
      cfg.app.scaleOut.alarmPartitions,
      cfg.app.devices.map((d) => d.id),
      cfg.detector,
    );
    ownerships.set(cfg, o);
  }
  return o;
}

/**
 * The configuration one alarm instance works on: its PMTs, sensors, crystals, panels and
 * devices only (calibrations included), so that its records, memory and per-tick work are its
 * share. With no partitions, or for the single instance (''), the whole configuration.
 */
export function alarmSliceOf(cfg: SystemConfig, instance: string): SystemConfig {
  const o = alarmOwnershipOf(cfg);
  if (o.partitions.length === 0) return cfg;
  const mine = (subject: string) => o.ownerOfSubject(subject) === instance;
  const d = cfg.detector;
  const group = (g: PmtGroupEntry) => ({
    id: g.id,
    ...(g.sensor !== undefined && { sensor: g.sensor }),
    pmts: g.pmts.map((id) => {
      const p = d.pmt(id)!;
      return { id: p.id, hv: p.hv, limits: p.limits };
    }),
  });
  // every tube carries its full limits, so the defaults are only there for the schema's shape
  const anyLimits = d.pmts[0].limits;
  const file: DetectorFile = {
    hvLimits: { crystal: anyLimits, veto: anyLimits },
    crystals: d.crystals.filter((g) => mine(g.id)).map(group),
    panels: d.panels.filter((g) => mine(g.id)).map(group),
    sensors: d.sensors.filter((s) => mine(s.id)).map((s) => ({ ...s })),
  } as DetectorFile;
  const calibrations = file.crystals
    .concat(file.panels)
    .flatMap((g) => g.pmts.flatMap((p) => d.calibrationHistory(p.id)));
  const app = { ...cfg.app, devices: cfg.app.devices.filter((dev) => mine(dev.id)) };
  const slice: SystemConfig = { ...cfg, app, detector: new Detector(file, calibrations) };
  ownerships.set(slice, o); // who owns what stays the whole configuration's answer
  return slice;
}
