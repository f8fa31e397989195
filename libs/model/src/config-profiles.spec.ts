/* eslint-disable @typescript-eslint/no-explicit-any -- YAML documents edited as plain objects */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { writeRenamedDetector } from '../../../test/support/renamed-detector';
import {
  appConfigSchema,
  defaultConfigDir,
  extraRegisters,
  loadSystemConfig,
  PATH_SETTINGS,
  profileSchema,
} from './index';
import { configError } from '../../../test/support/config-error';

/** A copy of the embedded configuration in a temp dir; `edit` changes cicenns.yaml's object. */
function copyConfig(edit?: (c: Record<string, any>) => void): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  cpSync(defaultConfigDir(), dir, { recursive: true });
  const file = join(dir, 'cicenns.yaml');
  if (edit) {
    const c = parse(readFileSync(file, 'utf8'));
    edit(c);
    writeFileSync(file, stringify(c));
  }
  return { dir, file };
}

function editYaml(file: string, edit: (c: any) => void): void {
  const c = parse(readFileSync(file, 'utf8'));
  edit(c);
  writeFileSync(file, stringify(c));
}

describe('names are configuration (SPEC 1 ids are defaults)', () => {
  it('a detector with veto panels VETO01.. and PMTs VETO01-A loads', () => {
    const { dir, file } = copyConfig();
    writeRenamedDetector(dir);
    const d = loadSystemConfig(file, {}).detector;
    expect(d.panels.map((p) => p.id).slice(0, 2)).toEqual(['VETO01', 'VETO02']);
    expect(d.pmt('VETO01-A')).toMatchObject({ group: 'veto', parentId: 'VETO01', end: 'A' });
    expect(d.pmt('VETO01-B')!.end).toBe('B');
    expect(d.pmtByHv('hv-veto', 63)?.id).toBe('VETO32-B');
    expect(d.currentCalibration('VETO05-A')?.hvV).toBeGreaterThan(0);
  });

  it('the end of a PMT is its place in the list, not a suffix of its name', () => {
    const { dir, file } = copyConfig();
    const { detector } = writeRenamedDetector(dir);
    writeFileSync(
      detector,
      readFileSync(detector, 'utf8')
        .replace(/VETO01-A/g, 'VETO01-left')
        .replace(/VETO01-B/g, 'VETO01-right'),
    );
    const cal = join(dir, 'calibration.yaml');
    writeFileSync(
      cal,
      readFileSync(cal, 'utf8')
        .replace(/VETO01-A/g, 'VETO01-left')
        .replace(/VETO01-B/g, 'VETO01-right'),
    );
    const d = loadSystemConfig(file, {}).detector;
    expect(d.pmt('VETO01-left')!.end).toBe('A');
    expect(d.pmt('VETO01-right')!.end).toBe('B');
  });

  it.each([
    ['PSV/01', 'a topic level separator'],
    ['PSV+01', 'an MQTT wildcard'],
    ['PSV#01', 'an MQTT wildcard'],
    ['PSV 01', 'whitespace (line protocol)'],
    ['PSV,01', 'a comma (line protocol)'],
    ['PSV=01', 'an equals sign (line protocol)'],
    ['PSV"01', 'a quote'],
    ['PSV*', 'an alarm glob character'],
    ['PSV\u000001', 'NUL'],
    ['PSV\n01', 'a control character'],
    ['-PSV01', 'a leading dash'],
    ['P'.repeat(41), 'too long'],
  ])('refuses the panel name %j (%s) with file, path and reason', (bad) => {
    const { dir, file } = copyConfig();
    editYaml(join(dir, 'detector.yaml'), (c) => (c.panels[2].id = bad));
    const e = configError(() => loadSystemConfig(file, {}));
    expect(e.file).toBe(join(dir, 'detector.yaml'));
    expect(e.path).toBe('panels[2].id');
    expect(e.reason).toMatch(/letters, digits|at most 40/);
  });

  it('refuses a name used twice, also across kinds (a sensor named like a crystal)', () => {
    const { dir, file } = copyConfig();
    editYaml(join(dir, 'detector.yaml'), (c) => (c.sensors[0].id = 'CsI02'));
    const e = configError(() => loadSystemConfig(file, {}));
    expect(e.message).toMatch(
      /detector\.yaml: sensors\[0\]\.id: duplicate name "CsI02" \(already used by a crystal\)/,
    );
    const again = copyConfig();
    editYaml(join(again.dir, 'detector.yaml'), (c) => (c.panels[1].pmts[0].id = 'PSV01-A'));
    expect(configError(() => loadSystemConfig(again.file, {})).reason).toMatch(/duplicate name "PSV01-A"/);
  });

  it('device and link ids are names too', () => {
    const { file } = copyConfig((c) => (c.links[0].id = 'hv gw'));
    expect(configError(() => loadSystemConfig(file, {})).path).toBe('links[0].id');
  });
});

describe('a crystal or panel without a temperature sensor', () => {
  it('loads; its PMTs have no sensor', () => {
    const { dir, file } = copyConfig();
    writeRenamedDetector(dir, { withoutSensor: ['CsI03'] });
    const d = loadSystemConfig(file, {}).detector;
    expect(d.crystals.find((c) => c.id === 'CsI03')!.sensor).toBeUndefined();
    expect(d.pmt('CsI03-A')!.sensorId).toBeUndefined();
    expect(d.sensor('T-CsI03')).toBeUndefined();
    expect(d.pmt('CsI04-A')!.sensorId).toBe('T-CsI04');
  });

  it('a sensor named but not defined is still an error', () => {
    const { dir, file } = copyConfig();
    editYaml(join(dir, 'detector.yaml'), (c) => (c.crystals[0].sensor = 'T-nowhere'));
    expect(configError(() => loadSystemConfig(file, {})).message).toMatch(
      /crystals\(CsI01\)\.sensor: unknown sensor "T-nowhere"/,
    );
  });
});

describe('relative paths are relative to the file that holds them', () => {
  it('every path setting is resolved against the directory of cicenns.yaml, not the cwd', () => {
    const { dir, file } = copyConfig((c) => {
      c.influx.spoolPath = 'state/spool.db';
      c.alarms = { storePath: 'state/alarms.db' };
      c.auth = { auditPath: '../elsewhere/audit.db' };
      c.files.users = 'users.yaml';
      c.files.alarms = 'alarms.yaml';
    });
    const cwd = process.cwd();
    process.chdir(tmpdir());
    try {
      const { app } = loadSystemConfig(file, {});
      expect(app.influx.spoolPath).toBe(join(dir, 'state/spool.db'));
      expect(app.alarms.storePath).toBe(join(dir, 'state/alarms.db'));
      expect(app.auth.auditPath).toBe(join(dir, '..', 'elsewhere', 'audit.db'));
      expect(app.files.users).toBe(join(dir, 'users.yaml'));
      expect(app.files.alarms).toBe(join(dir, 'alarms.yaml'));
      expect(app.files.profilesDir).toBe(join(dir, 'profiles'));
      expect(app.files.detector).toBe(join(dir, 'detector.yaml'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('absolute paths and SQLite :memory: stay as they are', () => {
    const { file } = copyConfig((c) => {
      c.influx.spoolPath = '/srv/cicenns/spool.db';
      c.alarms = { storePath: ':memory:' };
    });
    const { app } = loadSystemConfig(file, {});
    expect(app.influx.spoolPath).toBe('/srv/cicenns/spool.db');
    expect(app.alarms.storePath).toBe(':memory:');
  });

  it('the list of path settings has every setting that names a file (none left to the cwd)', () => {
    const shape = appConfigSchema.shape as Record<string, any>;
    const pathLike: string[] = [];
    for (const [section, s] of Object.entries(shape)) {
      let inner = s.def?.innerType ?? s;
      if (inner.def?.type === 'pipe') inner = inner.def.in; // a section with a transform (influx)
      const keys = Object.keys(inner.shape ?? {});
      for (const k of keys)
        if (section === 'files' || /(Path|Dir|File)$/.test(k)) pathLike.push(`${section}.${k}`);
    }
    expect(pathLike.sort()).toEqual(PATH_SETTINGS.map(([a, b]) => `${a}.${b}`).sort());
  });
});

describe('Modbus addressing that cannot work is a start-up error', () => {
  it('unit id per channel beyond 255: file, path and reason', () => {
    const { file } = copyConfig((c) => {
      c.links.push({ id: 'vx', type: 'tcp', host: '127.0.0.1', port: 5099 });
      c.devices.push({ id: 'hv-x', link: 'vx', profile: 'vendor-x-hv', unitId: 250, channels: 16 });
    });
    const e = configError(() => loadSystemConfig(file, {}));
    expect(e.file).toBe(file);
    expect(e.path).toBe('devices[5].unitId');
    expect(e.reason).toMatch(/250 \+ 15 = 265 is beyond 255/);
  });

  it('unit id per channel up to 255 is fine', () => {
    const { file } = copyConfig((c) => {
      c.links.push({ id: 'vx', type: 'tcp', host: '127.0.0.1', port: 5099 });
      c.devices.push({ id: 'hv-x', link: 'vx', profile: 'vendor-x-hv', unitId: 240, channels: 16 });
    });
    expect(() => loadSystemConfig(file, {})).not.toThrow();
  });

  it('a register address beyond 65535 for the last channel: the reason names register and channel', () => {
    const { dir, file } = copyConfig();
    editYaml(join(dir, 'profiles', 'generic-hv.yaml'), (p) => (p.addressing.base = 65300));
    const e = configError(() => loadSystemConfig(file, {}));
    expect(e.path).toBe('devices[0].channels');
    expect(e.reason).toMatch(/register \w+ of channel 29 would be at address \d+, beyond 65535/);
  });

  it('addressing.stride: optional with unitIdPerChannel, required (with the reason) without', () => {
    const base = parse(readFileSync(join(defaultConfigDir(), 'profiles', 'vendor-x-hv.yaml'), 'utf8'));
    delete base.addressing.stride;
    expect(profileSchema.safeParse(base).success).toBe(true);
    base.addressing.unitIdPerChannel = false;
    const r = profileSchema.safeParse(base);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['addressing', 'stride'] });
    expect(r.error!.issues[0].message).toMatch(/required.*unitIdPerChannel/);
  });

  it('a profile without stride in a file: the ConfigError names the profile file and addressing.stride', () => {
    const { dir, file } = copyConfig();
    editYaml(join(dir, 'profiles', 'generic-hv.yaml'), (p) => delete p.addressing.stride);
    const e = configError(() => loadSystemConfig(file, {}));
    expect(e.file).toBe(join(dir, 'profiles', 'generic-hv.yaml'));
    expect(e.path).toBe('addressing.stride');
  });

  it('an input register marked writable is refused', () => {
    const { dir, file } = copyConfig();
    editYaml(join(dir, 'profiles', 'vendor-x-hv.yaml'), (p) => (p.registers.vmon.access = 'rw'));
    expect(configError(() => loadSystemConfig(file, {})).message).toMatch(
      /vendor-x-hv\.yaml(:\d+)?: registers\.vmon\.access: an input register cannot be written/,
    );
  });
});

describe('extra registers of a profile', () => {
  it('are the polled registers the system does not act on, with their units', () => {
    const cfg = loadSystemConfig(undefined, {});
    expect(extraRegisters(cfg.profiles.get('generic-hv'))).toEqual({ trip_time: 's' });
    expect(extraRegisters(cfg.profiles.get('vendor-x-hv'))).toEqual({});
    const p = { ...cfg.profiles.get('generic-hv')!, poll: ['vmon', 'board_temp'] };
    p.registers = { ...p.registers, board_temp: { ...p.registers.vmon, unit: 'degC' } };
    expect(extraRegisters(p)).toEqual({ board_temp: 'degC' });
  });
});
