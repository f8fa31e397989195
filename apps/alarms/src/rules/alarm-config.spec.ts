import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfigDir, loadSystemConfig } from '@cicenns/model';
import { globToRegExp, loadAlarmConfig, resolveRuleParams } from './alarm-config';
import { DefaultRuleEngine } from './rule-engine';
import { configError } from '../../../../test/support/config-error';

const defaultFile = join(defaultConfigDir(), 'alarms.yaml');
const defaultText = readFileSync(defaultFile, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'alarms-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The default file with `from` replaced by `to`, written to a temp file. */
function variant(name: string, from: string | RegExp, to: string): string {
  const text = defaultText.replace(from, to);
  expect(text).not.toBe(defaultText);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('config/alarms.yaml', () => {
  const cfg = loadAlarmConfig(defaultFile);

  it('holds the SPEC 3 defaults', () => {
    expect(cfg.rules['gain-drift']).toMatchObject({ warnPct: 5, alarmPct: 10 });
    expect(cfg.rules['dcr-high']).toMatchObject({ warnFactor: 2, alarmFactor: 5 });
    expect(cfg.rules['dcr-low']).toMatchObject({ warnFactor: 0.3, deadHz: 0 });
    expect(cfg.rules.stale.staleAfterPeriods).toBe(3);
    expect(cfg.rules['hv-trip'].statusBit).toBe('tripped');
    expect(cfg.rules['gain-creep'].guidance.contact).toMatch(/PMT expert/);
    expect(cfg.file).toBe(defaultFile);
  });

  it('resolves overrides per subject, in file order, merging nested settings', () => {
    const withOverrides = {
      ...cfg,
      overrides: [
        { match: 'PSV*', rule: 'dcr-high' as const, warnFactor: 3 },
        { match: ['PSV01-A'], rule: 'dcr-high' as const, warnFactor: 4 },
        { match: 'CsI0?-B', rule: 'gain-creep' as const, cusum: { h: 20 } },
      ],
    };
    expect(resolveRuleParams(withOverrides, 'dcr-high', 'PSV05-B').warnFactor).toBe(3);
    expect(resolveRuleParams(withOverrides, 'dcr-high', 'PSV01-A').warnFactor).toBe(4);
    expect(resolveRuleParams(withOverrides, 'dcr-high', 'CsI05-B').warnFactor).toBe(2);
    expect(resolveRuleParams(withOverrides, 'dcr-high', 'PSV05-B').alarmFactor).toBe(5);
    const creep = resolveRuleParams(withOverrides, 'gain-creep', 'CsI03-B');
    expect(creep.cusum).toMatchObject({ h: 20, k: cfg.rules['gain-creep'].cusum.k });
    expect(resolveRuleParams(withOverrides, 'gain-creep', 'CsI13-B').cusum.h).toBe(
      cfg.rules['gain-creep'].cusum.h,
    );
    // the default file's own override
    expect(resolveRuleParams(cfg, 'temperature-rate', 'T-hall').warnCPerHour).toBe(8);
    expect(resolveRuleParams(cfg, 'temperature-rate', 'T-CsI01').warnCPerHour).toBe(5);
  });

  it('globs: only * and ? are special', () => {
    expect(globToRegExp('PSV*').test('PSV12-A')).toBe(true);
    expect(globToRegExp('CsI0?-A').test('CsI07-A')).toBe(true);
    expect(globToRegExp('CsI0?-A').test('CsI10-A')).toBe(false);
    expect(globToRegExp('T-hall').test('T-hallway')).toBe(false);
  });

  it('a bad value names file, path and line', () => {
    const file = variant('bad-value.yaml', 'warnPct: 5\n', 'warnPct: -5\n');
    const e = configError(() => loadAlarmConfig(file));
    expect(e.file).toBe(file);
    expect(e.path).toBe('rules.gain-drift.warnPct');
    const line = defaultText.split('\n').findIndex((l) => l.includes('warnPct: 5')) + 1;
    expect(e.line).toBe(line);
    expect(e.message).toContain(`${file}:${line}: rules.gain-drift.warnPct`);
  });

  it('alarm below warning and a deadband wider than the level are errors', () => {
    const e = configError(() => loadAlarmConfig(variant('order.yaml', 'alarmFactor: 5', 'alarmFactor: 1.5')));
    expect(e.path).toBe('rules.dcr-high.alarmFactor');
    expect(e.reason).toMatch(/>= warnFactor/);
  });

  it('a missing guidance is an error at the rule', () => {
    const e = configError(() =>
      loadAlarmConfig(
        variant('no-contact.yaml', '      contact: on-call DAQ expert\n\n  dcr-creep', '\n  dcr-creep'),
      ),
    );
    expect(e.path).toBe('rules.dcr-low.guidance.contact');
  });

  it('an override with an unknown or invalid parameter names the override', () => {
    const unknown = configError(() =>
      loadAlarmConfig(
        variant(
          'ov-unknown.yaml',
          /overrides:\n[\s\S]*$/,
          "overrides:\n  - { match: 'PSV*', rule: dcr-high, warnFactr: 3 }\n",
        ),
      ),
    );
    expect(unknown.path).toBe('overrides[0]');
    expect(unknown.reason).toMatch(/warnFactr/);
    const invalid = configError(() =>
      loadAlarmConfig(
        variant(
          'ov-bad.yaml',
          /overrides:\n[\s\S]*$/,
          "overrides:\n  - { match: 'PSV*', rule: dcr-high, warnFactor: 8 }\n",
        ),
      ),
    );
    expect(invalid.path).toBe('overrides[0].alarmFactor');
    const rule = configError(() =>
      loadAlarmConfig(
        variant(
          'ov-rule.yaml',
          /overrides:\n[\s\S]*$/,
          "overrides:\n  - { match: 'PSV*', rule: dcr-hi, warnFactor: 3 }\n",
        ),
      ),
    );
    expect(rule.path).toBe('overrides[0].rule');
  });

  it('an override that matches no subject is found when the engine starts', () => {
    const file = variant(
      'ov-nomatch.yaml',
      /overrides:\n[\s\S]*$/,
      "overrides:\n  - { match: 'PVS*', rule: dcr-high, warnFactor: 3 }\n",
    );
    const e = configError(
      () => new DefaultRuleEngine(loadSystemConfig(undefined, {}), loadAlarmConfig(file)),
    );
    expect(e.file).toBe(file);
    expect(e.path).toBe('overrides[0].match');
    expect(e.reason).toMatch(/matches no subject of rule dcr-high/);
  });
});
