import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfigDir } from './load-config';

/**
 * A detector of N PMTs laid out as CICENNS is (SPEC 1), for measuring how the system's cost
 * grows with the channel count (issue 13). Crystals and veto panels carry two tubes each, in
 * CICENNS's proportion (15 crystals to 32 panels); HV crates of 64 channels (generic-hv) sit
 * behind Modbus TCP gateways of up to 32 crates; one PT100 sensor per crystal housing, one per
 * 16 veto panels and three for the hall, on 8-channel transmitters behind serial servers of up
 * to 32 units. The output is the text of detector.yaml, calibration.yaml and the links/devices
 * of cicenns.yaml. The two inventories are JSON (which is YAML) with one entry per line: the YAML
 * parser takes a minute and 1.3 GB for 45,000 tubes, JSON.parse (loadYamlFile's fast path) not.
 */

export interface GenerateOptions {
  /** PMTs in all; even (two per crystal or panel), at least 4 */
  pmts: number;
  /** first TCP port: HV gateways take base, base+1, ..., the temperature lines follow */
  portBase?: number;
  host?: string;
}

export interface GeneratedDetector {
  crystals: number;
  panels: number;
  hvCrates: number;
  hvGateways: number;
  sensors: number;
  transmitters: number;
  tempLines: number;
  /** YAML of the `links:` and `devices:` sections of cicenns.yaml */
  linksAndDevices: string;
  detectorYaml: string;
  calibrationYaml: string;
}

const CRATE_CHANNELS = 64;
const CRATES_PER_GATEWAY = 32;
const TRANSMITTER_CHANNELS = 8;
const TRANSMITTERS_PER_LINE = 32;
const PANELS_PER_SENSOR = 16;
const HALL_SENSORS = [
  { id: 'T-hall', location: 'experimental hall', rangeC: [10, 35] },
  { id: 'T-shield-inner', location: 'inside the shielding', rangeC: [15, 30] },
  { id: 'T-rack', location: 'electronics rack', rangeC: [10, 45] },
];

/** Zero-padded to `width` digits (CsI01 at 15 crystals, CsI0001 at 7,181). */
const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function generateDetector(o: GenerateOptions): GeneratedDetector {
  const n = o.pmts;
  if (!Number.isInteger(n) || n < 4 || n % 2 !== 0 || n > 1_000_000) {
    throw new RangeError(`--pmts must be an even whole number from 4 to 1000000, got ${n}`);
  }
  const host = o.host ?? '127.0.0.1';
  const portBase = o.portBase ?? 5020;
  const pairs = n / 2;
  const crystals = Math.max(1, Math.round((pairs * 15) / 47));
  const panels = pairs - crystals;
  const width = Math.max(2, String(Math.max(crystals, panels)).length);

  // ---- HV: crystal tubes fill their own crates, veto tubes theirs (different limits, vendors)
  const crates: { id: string; channels: number }[] = [];
  const placeOnCrates = (prefix: string, tubes: number) => {
    const first = crates.length;
    const count = Math.ceil(tubes / CRATE_CHANNELS);
    const w = Math.max(2, String(count).length);
    for (let i = 0; i < count; i++) {
      const channels = Math.min(CRATE_CHANNELS, tubes - i * CRATE_CHANNELS);
      crates.push({ id: `${prefix}${pad(i + 1, w)}`, channels });
    }
    return (k: number) => ({
      device: crates[first + Math.floor(k / CRATE_CHANNELS)].id,
      channel: k % CRATE_CHANNELS,
    });
  };
  const crystalHv = placeOnCrates('hv-crystal-', 2 * crystals);
  const vetoHv = placeOnCrates('hv-veto-', 2 * panels);
  const hvGateways = Math.ceil(crates.length / CRATES_PER_GATEWAY);

  // ---- temperatures
  const sensors: { id: string; location: string; rangeC: number[] }[] = [];
  const crystalIds = Array.from({ length: crystals }, (_, i) => `CsI${pad(i + 1, width)}`);
  const panelIds = Array.from({ length: panels }, (_, i) => `PSV${pad(i + 1, width)}`);
  for (const id of crystalIds) sensors.push({ id: `T-${id}`, location: `${id} housing`, rangeC: [15, 30] });
  const psvSensors = Math.ceil(panels / PANELS_PER_SENSOR);
  const psvWidth = Math.max(2, String(psvSensors).length);
  const psvSensorOf = (panel: number) =>
    psvSensors === 1 ? 'T-psv' : `T-psv${pad(Math.floor(panel / PANELS_PER_SENSOR) + 1, psvWidth)}`;
  for (let i = 0; i < psvSensors; i++) {
    const id = psvSensors === 1 ? 'T-psv' : `T-psv${pad(i + 1, psvWidth)}`;
    sensors.push({ id, location: 'veto panels', rangeC: [10, 35] });
  }
  sensors.push(...HALL_SENSORS);
  const transmitters = Math.ceil(sensors.length / TRANSMITTER_CHANNELS);
  const tempLines = Math.ceil(transmitters / TRANSMITTERS_PER_LINE);
  const tw = Math.max(1, String(transmitters).length);
  const transmitterId = (t: number) => `pt100-${pad(t + 1, tw)}`;

  // ---- cicenns.yaml: links and devices
  const lines: string[] = ['links:'];
  const gwWidth = Math.max(2, String(hvGateways).length);
  const lineWidth = Math.max(2, String(tempLines).length);
  const gatewayId = (g: number) => `hv-gw${pad(g + 1, gwWidth)}`;
  const tempLineId = (l: number) => `temp-line${pad(l + 1, lineWidth)}`;
  for (let g = 0; g < hvGateways; g++) {
    lines.push(
      `  - { id: ${gatewayId(g)}, type: tcp, host: ${host}, port: ${portBase + g}, timeoutMs: 1000, retries: 1 }`,
    );
  }
  for (let l = 0; l < tempLines; l++) {
    lines.push(
      `  - { id: ${tempLineId(l)}, type: rtu-over-tcp, host: ${host}, port: ${portBase + hvGateways + l}, timeoutMs: 1000, retries: 1 }`,
    );
  }
  lines.push('devices:');
  crates.forEach((c, i) => {
    const unitId = (i % CRATES_PER_GATEWAY) + 1;
    lines.push(
      `  - { id: ${c.id}, link: ${gatewayId(Math.floor(i / CRATES_PER_GATEWAY))}, profile: generic-hv, unitId: ${unitId}, channels: ${c.channels}, pollMs: 1000 }`,
    );
  });
  for (let t = 0; t < transmitters; t++) {
    const unitId = (t % TRANSMITTERS_PER_LINE) + 11;
    lines.push(
      `  - { id: ${transmitterId(t)}, link: ${tempLineId(Math.floor(t / TRANSMITTERS_PER_LINE))}, profile: pt100-8ch, unitId: ${unitId}, channels: ${TRANSMITTER_CHANNELS}, pollMs: 2000 }`,
    );
  }

  // ---- detector.yaml
  type HvRef = { device: string; channel: number };
  const pmtIds: { id: string; crystal: boolean }[] = [];
  const group = (id: string, sensor: string, hv: (k: number) => HvRef, k: number, crystal: boolean) => {
    pmtIds.push({ id: `${id}-A`, crystal }, { id: `${id}-B`, crystal });
    return {
      id,
      sensor,
      pmts: [
        { id: `${id}-A`, hv: hv(2 * k) },
        { id: `${id}-B`, hv: hv(2 * k + 1) },
      ],
    };
  };
  const detectorYaml = jsonLines({
    hvLimits: {
      crystal: { vmax: 1500, imaxUa: 200, rampMaxVps: 50 },
      veto: { vmax: 1100, imaxUa: 200, rampMaxVps: 50 },
    },
    crystals: crystalIds.map((id, k) => group(id, `T-${id}`, crystalHv, k, true)),
    panels: panelIds.map((id, k) => group(id, psvSensorOf(k), vetoHv, k, false)),
    sensors: sensors.map((s, i) => ({
      id: s.id,
      device: transmitterId(Math.floor(i / TRANSMITTER_CHANNELS)),
      channel: i % TRANSMITTER_CHANNELS,
      location: s.location,
      rangeC: s.rangeC,
    })),
  });

  // ---- calibration.yaml: the datasheet figures (SPEC 1), so every tube is "not commissioned"
  const stamp = '2026-01-01T00:00:00Z';
  const calibrationYaml = jsonLines({
    records: pmtIds.map((p) => {
      const [hvV, gain, dcrHz] = p.crystal ? [1400, 3.6e6, 2900] : [900, 1.4e7, 290];
      return {
        pmt: p.id,
        version: 1,
        validFrom: stamp,
        hvV,
        gain,
        beta: 7,
        dcrHz,
        dcrRefTempC: 22,
        dcrTempCoeffPerC: 0.05,
        gainTempCoeffPerC: -0.003,
        measuredAt: stamp,
        method: 'datasheet',
        by: 'generator',
      };
    }),
  });

  return {
    crystals,
    panels,
    hvCrates: crates.length,
    hvGateways,
    sensors: sensors.length,
    transmitters,
    tempLines,
    linksAndDevices: lines.join('\n') + '\n',
    detectorYaml,
    calibrationYaml,
  };
}

/**
 * A JSON document (so also YAML) with every array element on a line of its own: diffable and
 * greppable by a person, and read with JSON.parse by loadYamlFile.
 */
function jsonLines(doc: Record<string, unknown>): string {
  const parts = Object.entries(doc).map(([k, v]) => {
    const value = Array.isArray(v)
      ? v.length === 0
        ? '[]'
        : `[\n${v.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`
      : JSON.stringify(v);
    return `  ${JSON.stringify(k)}: ${value}`;
  });
  return `{\n${parts.join(',\n')}\n}\n`;
}

/**
 * The whole configuration in `out`: cicenns.yaml (the embedded one's settings with the generated
 * links and devices; its var/ files under `out`), detector.yaml, calibration.yaml, and copies of
 * alarms.yaml, commissioning.yaml and profiles/ from the embedded configuration.
 */
export function writeGeneratedConfig(o: GenerateOptions, out: string): GeneratedDetector {
  const g = generateDetector(o);
  const src = defaultConfigDir();
  mkdirSync(out, { recursive: true });
  const base = readFileSync(join(src, 'cicenns.yaml'), 'utf8');
  const settings = base.slice(0, base.search(/^links:/m)).replaceAll('../var/', 'var/');
  writeFileSync(join(out, 'cicenns.yaml'), `${settings}${g.linksAndDevices}`);
  writeFileSync(join(out, 'detector.yaml'), g.detectorYaml);
  writeFileSync(join(out, 'calibration.yaml'), g.calibrationYaml);
  for (const f of ['alarms.yaml', 'commissioning.yaml']) copyFileSync(join(src, f), join(out, f));
  cpSync(join(src, 'profiles'), join(out, 'profiles'), { recursive: true });
  return g;
}
