import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defaultConfigDir, gainAtVoltage, loadSystemConfig } from './index';

function copyConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  cpSync(defaultConfigDir(), dir, { recursive: true });
  return dir;
}

function expectConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('loads the embedded defaults: 94 PMTs, 15 crystals, 32 panels, 19 sensors', () => {
    const cfg = loadSystemConfig(undefined, {});
    const d = cfg.detector;
    expect(d.pmts).toHaveLength(94);
    expect(d.crystals).toHaveLength(15);
    expect(d.panels).toHaveLength(32);
    expect(d.sensors).toHaveLength(19);
    expect(d.pmts.filter((p) => p.group === 'crystal')).toHaveLength(30);
    expect(d.pmtByHv('hv-veto', 63)?.id).toBe('PSV32-B');
    expect(d.pmt('CsI07-B')).toMatchObject({
      parentId: 'CsI07',
      sensorId: 'T-CsI07',
      hv: { device: 'hv-crystal', channel: 13 },
    });
    expect(d.sensorByChannel('pt100-2', 7)?.id).toBe('T-hall');
    expect(cfg.profiles.get('generic-hv')?.registers.vmon).toMatchObject({ offset: 4, type: 'float32' });
    const cal = d.currentCalibration('CsI01-A')!;
    expect(cal.gain).toBe(3.6e6);
    // 1 % more voltage moves the gain by about beta %
    expect(gainAtVoltage(cal, 1414) / cal.gain).toBeCloseTo(Math.pow(1.01, 7), 6);
  });

  it('environment overrides single settings', () => {
    const cfg = loadSystemConfig(undefined, {
      MQTT_URL: 'mqtt://h:1',
      MQTT_USERNAME: 'historian',
      MQTT_PASSWORD: 'pw',
      INFLUX_URL: 'http://i:2',
      PORT: '9999',
    });
    expect(cfg.app.mqtt).toMatchObject({ url: 'mqtt://h:1', username: 'historian', password: 'pw' });
    expect(cfg.app.influx.url).toBe('http://i:2');
    expect(cfg.app.api.port).toBe(9999);
    expect(() => loadSystemConfig(undefined, { PORT: 'eighty' })).toThrow(/PORT: must be a TCP port number/);
  });

  it('a schema violation names file, path, line and reason', () => {
    const dir = copyConfig();
    const file = join(dir, 'cicenns.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('port: 5020', 'port: "fifty"'));
    const e = expectConfigError(() => loadSystemConfig(file, {}));
    expect(e.file).toBe(file);
    expect(e.path).toBe('links[0].port');
    expect(e.reason).toMatch(/number/);
    expect(e.line).toBeGreaterThan(1);
  });

  it('the DAQ bounds are configuration with defaults, and a bad bound stops start-up with its path', () => {
    expect(loadSystemConfig(undefined, {}).app.intake.bounds).toMatchObject({
      dcr: { maxRateHz: 1e7 },
      gain: { min: 1e3, max: 1e10, maxFactorFromCalibration: 100 },
      beam: { maxPowerKw: 1000 },
    });
    const dir = copyConfig();
    const file = join(dir, 'cicenns.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('maxPowerKw: 1000', 'maxPowerKw: -5'));
    let e = expectConfigError(() => loadSystemConfig(file, {}));
    expect(e.path).toBe('intake.bounds.beam.maxPowerKw');
    writeFileSync(file, text.replace('min: 1.0e+3', 'min: 1.0e+11'));
    e = expectConfigError(() => loadSystemConfig(file, {}));
    expect(e.path).toBe('intake.bounds.gain');
    expect(e.reason).toMatch(/gain.min must be below gain.max/);
  });

  it('YAML syntax errors carry the line', () => {
    const dir = copyConfig();
    const file = join(dir, 'cicenns.yaml');
    writeFileSync(file, 'mqtt:\n  url: [unclosed\n');
    const e = expectConfigError(() => loadSystemConfig(file, {}));
    expect(e.reason).toMatch(/YAML syntax/);
  });

  it('cross-references are checked: unknown profile, channel beyond the crate, double assignment', () => {
    const dir = copyConfig();
    const main = join(dir, 'cicenns.yaml');
    const original = readFileSync(main, 'utf8');
    writeFileSync(main, original.replace('profile: pt100-8ch, unitId: 13', 'profile: nosuch, unitId: 13'));
    expect(expectConfigError(() => loadSystemConfig(main, {})).message).toMatch(
      /devices\[4\]\.profile: unknown profile "nosuch"/,
    );

    writeFileSync(main, original.replace('unitId: 1, channels: 30', 'unitId: 1, channels: 20'));
    expect(expectConfigError(() => loadSystemConfig(main, {})).reason).toMatch(
      /channel 2\d beyond hv-crystal's 20 channels/,
    );

    writeFileSync(main, original);
    const det = join(dir, 'detector.yaml');
    writeFileSync(
      det,
      readFileSync(det, 'utf8').replace(
        'CsI01-B, hv: { device: hv-crystal, channel: 1 }',
        'CsI01-B, hv: { device: hv-crystal, channel: 0 }',
      ),
    );
    const e = expectConfigError(() => loadSystemConfig(main, {}));
    expect(e.file).toBe(det);
    expect(e.reason).toBe('hv-crystal/0 is already assigned to CsI01-A');
  });

  it('a profile error names the profile file', () => {
    const dir = copyConfig();
    const prof = join(dir, 'profiles', 'generic-hv.yaml');
    writeFileSync(
      prof,
      readFileSync(prof, 'utf8').replace('type: float32, unit: V }', 'type: float64, unit: V }'),
    );
    const e = expectConfigError(() => loadSystemConfig(join(dir, 'cicenns.yaml'), {}));
    expect(e.file).toBe(prof);
    expect(e.path).toBe('registers.vmon.type');
  });
});
