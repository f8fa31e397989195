import type { CalibrationRecord, DetectorFile, HvLimits } from './schemas';

export type PmtGroup = 'crystal' | 'veto';

export interface Pmt {
  id: string;
  group: PmtGroup;
  /** crystal or veto panel this tube sits on (names are configuration: CsI01, PSV01, VETO01...) */
  parentId: string;
  /** which end of its crystal or panel: the first PMT listed is A, the second B */
  end: 'A' | 'B';
  hv: { device: string; channel: number };
  limits: HvLimits;
  /** temperature sensor of its crystal housing or panel area; none configured: undefined */
  sensorId?: string;
}

export interface Sensor {
  id: string;
  device: string;
  channel: number;
  location: string;
  rangeC: [number, number];
}

/** A crystal or veto panel: its two PMTs (A, B) and its temperature sensor, if it has one. */
export interface PmtGroupEntry {
  id: string;
  sensor?: string;
  pmts: [string, string];
}

/** The detector's inventory (SPEC 1) with the look-ups every service needs. */
export class Detector {
  readonly pmts: Pmt[] = [];
  readonly crystals: PmtGroupEntry[] = [];
  readonly panels: PmtGroupEntry[] = [];
  readonly sensors: Sensor[];
  private readonly byId = new Map<string, Pmt>();
  private readonly byHv = new Map<string, Pmt>();
  private readonly sensorsByChannel = new Map<string, Sensor>();
  // look-ups by id are maps, not finds: every PMT asks for its sensor at start-up, and a
  // find over 8,000 sensors for each of 45,000 PMTs is 360 million comparisons
  private readonly sensorsById = new Map<string, Sensor>();
  private readonly groupsById = new Map<string, PmtGroupEntry>();
  private readonly calibrations = new Map<string, CalibrationRecord[]>();

  constructor(file: DetectorFile, calibrations: CalibrationRecord[]) {
    for (const c of file.crystals) this.addGroup('crystal', c, file.hvLimits.crystal, this.crystals);
    for (const p of file.panels) this.addGroup('veto', p, file.hvLimits.veto, this.panels);
    this.sensors = file.sensors.map((s) => ({ ...s, rangeC: s.rangeC as [number, number] }));
    for (const s of this.sensors) {
      this.sensorsByChannel.set(`${s.device}/${s.channel}`, s);
      if (!this.sensorsById.has(s.id)) this.sensorsById.set(s.id, s);
    }
    for (const g of [...this.crystals, ...this.panels])
      if (!this.groupsById.has(g.id)) this.groupsById.set(g.id, g);
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
    into: PmtGroupEntry[],
  ): void {
    into.push({ id: entry.id, sensor: entry.sensor, pmts: [entry.pmts[0].id, entry.pmts[1].id] });
    for (const [i, p] of entry.pmts.entries()) {
      const pmt: Pmt = {
        id: p.id,
        group,
        parentId: entry.id,
        end: i === 0 ? 'A' : 'B',
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

  sensor(id: string | undefined): Sensor | undefined {
    return id === undefined ? undefined : this.sensorsById.get(id);
  }

  isCrystal(id: string): boolean {
    return this.crystal(id) !== undefined;
  }

  crystal(id: string): PmtGroupEntry | undefined {
    const g = this.groupsById.get(id);
    return g && this.byId.get(g.pmts[0])?.group === 'crystal' ? g : undefined;
  }

  /** A veto panel by id. */
  panel(id: string): PmtGroupEntry | undefined {
    const g = this.groupsById.get(id);
    return g && this.byId.get(g.pmts[0])?.group === 'veto' ? g : undefined;
  }

  /**
   * Add a calibration version received at run time (an approved commissioning record): the one
   * in force from its validFrom on. Idempotent by version; false if that version was known.
   */
  addCalibration(record: CalibrationRecord): boolean {
    const list = this.calibrations.get(record.pmt) ?? [];
    if (list.some((r) => r.version === record.version)) return false;
    list.push(record);
    list.sort((a, b) => a.version - b.version);
    this.calibrations.set(record.pmt, list);
    return true;
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
