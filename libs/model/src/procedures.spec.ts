import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigError, defaultConfigDir, loadProcedures, loadSystemConfig } from './index';

const cfg = loadSystemConfig(undefined, {});
const shipped = () => parse(readFileSync(join(defaultConfigDir(), 'commissioning.yaml'), 'utf8'));

function load(doc: unknown): ReturnType<typeof loadProcedures> {
  const file = join(mkdtempSync(join(tmpdir(), 'proc-')), 'commissioning.yaml');
  writeFileSync(file, stringify(doc));
  return loadProcedures(file, cfg.detector);
}

function errorOf(doc: unknown): ConfigError {
  try {
    load(doc);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('commissioning procedures file', () => {
  it('resolves the shipped procedure per tube type, with the defaults filled in', () => {
    const [p] = loadProcedures(cfg.app.files.procedures, cfg.detector);
    expect(p.id).toBe('standard');
    expect(p.steps.map((s) => s.kind)).toEqual([
      'preconditions',
      'low-voltage',
      'dcr-scan',
      'gain-curve',
      'stability',
      'result',
    ]);
    const gain = p.steps[3].byType;
    expect(gain['R877-100']).toMatchObject({ v0: 1400, targetGain: 3.6e6, durationS: 60 });
    expect(gain['N2041']).toMatchObject({ v0: 900, targetGain: 1.4e7, betaRange: [4, 12] });
    expect(p.steps[0].byType['N2041']).toMatchObject({ manual: ['cables-checked', 'light-tight'] });
  });

  it('refuses a wrong field, naming the step, the type and the path', () => {
    const doc = shipped();
    doc.procedures[0].steps[2].params.windowSeconds = 10;
    const e = errorOf(doc);
    expect(e.path).toBe('procedures[0].steps[2].params');
    expect(e.reason).toMatch(/windowSeconds/);
    expect(e.reason).toMatch(/step "dcr-scan"/);
  });

  it('refuses a scan above a channel vmax before anything runs', () => {
    const doc = shipped();
    doc.procedures[0].steps[3].byType['N2041'].voltages = [800, 900, 1150];
    const e = errorOf(doc);
    expect(e.path).toBe('procedures[0].steps[3].byType.N2041.voltages[2]');
    expect(e.reason).toMatch(/1150 V is above the vmax 1100 V of PSV01-A/);
  });

  it('refuses a missing parameter of one tube type and an unknown tube type', () => {
    const doc = shipped();
    delete doc.procedures[0].steps[1].byType['N2041'];
    expect(errorOf(doc).reason).toMatch(/voltage.*tube type N2041/);
    const doc2 = shipped();
    doc2.procedures[0].steps[1].byType['R7081'] = { voltage: 100 };
    expect(errorOf(doc2).reason).toMatch(/unknown tube type "R7081"/);
  });

  it('refuses a stability step before the gain curve and a step id used twice', () => {
    const doc = shipped();
    const steps = doc.procedures[0].steps;
    [steps[3], steps[4]] = [steps[4], steps[3]];
    expect(errorOf(doc).reason).toMatch(/stability.*after the gain curve/);
    const doc2 = shipped();
    doc2.procedures[0].steps[2].id = 'low-voltage';
    expect(errorOf(doc2).reason).toMatch(/step "low-voltage" defined twice/);
  });
});
