import type { CalibrationRecord, DetectorFile, HvLimits } from './schemas';

export type PmtGroup = 'crystal' | 'veto';

export interface Pmt {
  id: string;
  group: PmtGroup;
  /** crystal (CsI01) or veto panel (PSV01) this tube sits on */
  parentId: string;
  end: 'A' | 'B';
  hv: { device: string; channel: number };
  limits: HvLimits;
  /** temperature sensor of its crystal housing or panel area */
  sensorId: string;
}

export interface Sensor {
  id: string;
  device: string;
  channel: number;
  location: string;
  rangeC: [number, number];
}

/** The detector's inventory (SPEC 1) with the look-ups every service needs. */
export class Detector {
  readonly pmts: Pmt[] = [];
  readonly crystals: { id: string; sensor: string; pmts: [string, string] }[] = [];
  readonly panels: { id: string; sensor: string; pmts: [string, string] }[] = [];
  readonly sensors: Sensor[];
  private readonly byId = new Map<string, Pmt>();
  private readonly byHv = new Map<string, Pmt>();
  private readonly sensorsByChannel = new Map<string, Sensor>();
  private readonly calibrations = new Map<string, CalibrationRecord[]>();

  constructor(file: DetectorFile, calibrations: CalibrationRecord[]) {
    for (const c of file.crystals) this.addGroup('crystal', c, file.hvLimits.crystal, this.crystals);
    for (const p of file.panels) this.addGroup('veto', p, file.hvLimits.veto, this.panels);
    this.sensors = file.sensors.map((s) => ({ ...s, rangeC: s.rangeC as [number, number] }));
    for (const s of this.sensors) this.sensorsByChannel.set(`${s.device}/${s.channel}`, s);
    for (const r of calibrations) {
      const list = this.calibrations.get(r.pmt) ?? [];
      list.push(r);
      this.calibrations.set(r.pmt, list);
    }
    for (const list of this.calibrations.values()) list.sort((a, b) => a.version - b.version);
  }

  private addGroup(
    group: PmtGroup,
    entry: DetectorFile['crystals'][number],
    defaults: HvLimits,
    into: { id: string; sensor: string; pmts: [string, string] }[],
  ): void {
    into.push({ id: entry.id, sensor: entry.sensor, pmts: [entry.pmts[0].id, entry.pmts[1].id] });
    for (const p of entry.pmts) {
      const pmt: Pmt = {
        id: p.id,
        group,
        parentId: entry.id,
        end: p.id.endsWith('-A') ? 'A' : 'B',
        hv: p.hv,
        limits: { ...defaults, ...p.limits },
        sensorId: entry.sensor,
      };
      this.pmts.push(pmt);
      this.byId.set(pmt.id, pmt);
      this.byHv.set(`${p.hv.device}/${p.hv.channel}`, pmt);
    }
  }

  pmt(id: string): Pmt | undefined {
    return this.byId.get(id);
  }

  pmtByHv(device: string, channel: number): Pmt | undefined {
    return this.byHv.get(`${device}/${channel}`);
  }

  sensorByChannel(device: string, channel: number): Sensor | undefined {
    return this.sensorsByChannel.get(`${device}/${channel}`);
  }

  sensor(id: string): Sensor | undefined {
    return this.sensors.find((s) => s.id === id);
  }

  isCrystal(id: string): boolean {
    return this.crystals.some((c) => c.id === id);
  }

  /** All versions of a PMT's calibration, oldest first. */
  calibrationHistory(pmtId: string): CalibrationRecord[] {
    return this.calibrations.get(pmtId) ?? [];
  }

  /** The calibration in force at `at`: the highest version whose validFrom has passed. */
  currentCalibration(pmtId: string, at: number = Date.now()): CalibrationRecord | undefined {
    const list = this.calibrations.get(pmtId) ?? [];
    let current: CalibrationRecord | undefined;
    for (const r of list) if (Date.parse(r.validFrom) <= at) current = r;
    return current;
  }
}
