import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDetector, writeGeneratedConfig } from './generate-detector';
import { ConfigError, loadSystemConfig } from './index';

const load = (pmts: number) => {
  const dir = mkdtempSync(join(tmpdir(), 'gen-'));
  const g = writeGeneratedConfig({ pmts }, dir);
  return { dir, g, cfg: loadSystemConfig(join(dir, 'cicenns.yaml'), {}) };
};

describe('generated detector (npm run gen:detector)', () => {
  it('94 PMTs: the CICENNS layout (15 crystals, 32 panels, CsI01-A .. PSV32-B), accepted by loadSystemConfig', () => {
    const { cfg, g } = load(94);
    const d = cfg.detector;
    expect([d.pmts.length, d.crystals.length, d.panels.length]).toEqual([94, 15, 32]);
    expect(d.pmt('CsI01-A')?.sensorId).toBe('T-CsI01');
    expect(d.pmt('PSV32-B')?.hv).toEqual({ device: 'hv-veto-01', channel: 63 });
    expect(d.sensor('T-hall')).toBeDefined();
    expect(d.isCrystal('CsI15') && !d.isCrystal('PSV01')).toBe(true);
    expect(d.crystal('CsI15')?.pmts).toEqual(['CsI15-A', 'CsI15-B']);
    expect(d.panel('PSV01')?.pmts).toEqual(['PSV01-A', 'PSV01-B']);
    expect(d.currentCalibration('PSV01-A')).toMatchObject({ hvV: 900, method: 'datasheet' });
    expect(g).toMatchObject({ hvCrates: 2, hvGateways: 1 });
  });

  it('5,000 PMTs: crates of at most 64 channels, at most 32 behind a gateway, every PMT on its own channel with a sensor', () => {
    const { cfg, g } = load(5000);
    const d = cfg.detector;
    expect(d.pmts).toHaveLength(5000);
    expect(d.crystals.length + d.panels.length).toBe(2500);
    const hv = cfg.app.devices.filter((x) => x.profile === 'generic-hv');
    expect(hv).toHaveLength(g.hvCrates);
    expect(Math.max(...hv.map((x) => x.channels))).toBe(64);
    expect(hv.reduce((n, x) => n + x.channels, 0)).toBe(5000);
    const perLink = new Map<string, number>();
    for (const x of hv) perLink.set(x.link, (perLink.get(x.link) ?? 0) + 1);
    expect(Math.max(...perLink.values())).toBeLessThanOrEqual(32);
    expect(perLink.size).toBe(g.hvGateways);
    expect(new Set(d.pmts.map((p) => `${p.hv.device}/${p.hv.channel}`)).size).toBe(5000);
    expect(d.pmts.every((p) => d.sensor(p.sensorId) !== undefined)).toBe(true);
    // temperature sensors in proportion: one per crystal housing, one per 16 panels, three more
    expect(d.sensors).toHaveLength(d.crystals.length + Math.ceil(d.panels.length / 16) + 3);
  });

  it('refuses an odd or tiny count with the reason', () => {
    expect(() => generateDetector({ pmts: 95 })).toThrow(/even whole number/);
    expect(() => generateDetector({ pmts: 2 })).toThrow(/even whole number/);
  });

  it('a JSON inventory read on the fast path still gets a schema error with its line', () => {
    const { dir } = load(94);
    const file = join(dir, 'detector.yaml');
    const text = readFileSync(file, 'utf8').replace('"channel":5}', '"channel":-5}');
    writeFileSync(file, text);
    const err = (() => {
      try {
        loadSystemConfig(join(dir, 'cicenns.yaml'), {});
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/crystals\[2\]\.pmts\[1\]\.hv\.channel/);
    expect(err.line).toBe(text.split('\n').findIndex((l) => l.includes('"channel":-5')) + 1);
  });
});
