import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ConfigError, defaultConfigDir, loadSystemConfig, parseInfluxDuration } from './index';

/** The embedded configuration copied, its influx section changed by `edit`; the file path. */
function configWith(edit: (influx: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-tiers-'));
  cpSync(defaultConfigDir(), dir, { recursive: true });
  const file = join(dir, 'cicenns.yaml');
  const cfg = parse(readFileSync(file, 'utf8'));
  edit(cfg.influx);
  writeFileSync(file, stringify(cfg));
  return file;
}

function configError(file: string): ConfigError {
  try {
    loadSystemConfig(file, {});
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('retention tiers (influx.tiers)', () => {
  it('the embedded default: raw 30 days, 1-minute aggregates 10 years, recomputed over 2 minutes', () => {
    const { tiers } = loadSystemConfig(undefined, {}).app.influx;
    expect(tiers).toEqual({
      raw: { name: 'cicenns_raw', duration: '30d', durationMs: 30 * 86_400_000 },
      aggregate: {
        name: 'cicenns_1m',
        duration: '3650d',
        durationMs: 3650 * 86_400_000,
        interval: '1m',
        intervalMs: 60_000,
        resampleFor: '120s',
        resampleForMs: 120_000,
        resampleEvery: '1m',
        computedBy: 'influxdb',
      },
      rawMaxSpanMs: 2 * 86_400_000,
    });
  });

  it('a config written before tiers (influx.retentionPolicy) still loads: its policy is the raw tier', () => {
    const file = configWith((i) => {
      delete i.tiers;
      i.retentionPolicy = { name: 'cicenns_raw', duration: '0s' };
    });
    const { tiers } = loadSystemConfig(file, {}).app.influx;
    expect(tiers.raw).toEqual({ name: 'cicenns_raw', duration: '0s', durationMs: 0 });
    // raw kept forever: the aggregates too (10 years would be shorter than raw)
    expect(tiers.aggregate).toMatchObject({ name: 'cicenns_1m', duration: 'INF', durationMs: 0 });
    const weeks = configWith((i) => {
      delete i.tiers;
      i.retentionPolicy = { name: 'old_raw', duration: '52w' };
    });
    expect(loadSystemConfig(weeks, {}).app.influx.tiers).toMatchObject({
      raw: { name: 'old_raw', durationMs: 52 * 7 * 86_400_000 },
      aggregate: { duration: '3650d' },
    });
  });

  it('both the old and the new setting: the old one is named with its replacement', () => {
    const file = configWith((i) => (i.retentionPolicy = { name: 'cicenns_raw', duration: '0s' }));
    const e = configError(file);
    expect(e.file).toBe(file);
    expect(e.path).toBe('influx.retentionPolicy');
    expect(e.reason).toMatch(/replaced by influx\.tiers\.raw/);
  });

  it.each([
    [
      'aggregates kept shorter than raw',
      { raw: { duration: '365d' }, aggregate: { duration: '30d' } },
      'influx.tiers.aggregate.duration',
      /aggregates kept 30d, shorter than the raw readings \(365d\)/,
    ],
    [
      'aggregates not forever when raw is',
      { raw: { duration: 'INF' }, aggregate: { duration: '3650d' } },
      'influx.tiers.aggregate.duration',
      /shorter than the raw readings \(forever\)/,
    ],
    [
      'a duration InfluxQL cannot parse (fraction)',
      { raw: { duration: '1.5d' } },
      'influx.tiers.raw.duration',
      /"1\.5d" is not an InfluxDB duration/,
    ],
    [
      'a unit InfluxQL does not have (years)',
      { aggregate: { duration: '10y' } },
      'influx.tiers.aggregate.duration',
      /"10y" is not an InfluxDB duration/,
    ],
    [
      "shorter than InfluxDB's minimum of 1h",
      { raw: { duration: '30m' } },
      'influx.tiers.raw.duration',
      /shorter than InfluxDB's minimum retention \(1h\)/,
    ],
    [
      'an interval that does not divide a day',
      { aggregate: { interval: '7m' } },
      'influx.tiers.aggregate.interval',
      /"7m" does not divide a day evenly/,
    ],
    [
      'a zero interval',
      { aggregate: { interval: '0s' } },
      'influx.tiers.aggregate.interval',
      /not an interval/,
    ],
    [
      'resampling not a whole number of intervals',
      { aggregate: { interval: '5m', resampleFor: '7m' } },
      'influx.tiers.aggregate.resampleFor',
      /whole number of intervals \(5m\)/,
    ],
    [
      'both tiers in one policy',
      { raw: { name: 'same' }, aggregate: { name: 'same' } },
      'influx.tiers.aggregate.name',
      /the same policy as the raw tier/,
    ],
    [
      'a policy name that would need escaping',
      { raw: { name: 'raw"; DROP' } },
      'influx.tiers.raw.name',
      /retention policy name/,
    ],
    ['a bad rawMaxSpan', { rawMaxSpan: 'two days' }, 'influx.tiers.rawMaxSpan', /not a duration/],
  ])('refused: %s (file, path, reason)', (_what, tiers, path, reason) => {
    const file = configWith((i) => (i.tiers = tiers));
    const e = configError(file);
    expect(e.file).toBe(file);
    expect(e.path).toBe(path);
    expect(e.reason).toMatch(reason);
    expect(e.line).toBeGreaterThan(0);
  });

  it('raw readings must outlast what the intake accepts (older points InfluxDB would drop)', () => {
    const file = configWith((i) => (i.tiers = { raw: { duration: '2d' } }));
    const e = configError(file);
    expect(e.path).toBe('influx.tiers.raw.duration');
    expect(e.reason).toMatch(/raw readings kept 2d, not longer than intake\.maxAgeMs \(1w\)/);
  });

  it("parses InfluxQL's duration literals, compound ones included", () => {
    expect(parseInfluxDuration('1h30m')).toBe(5_400_000);
    expect(parseInfluxDuration('52w')).toBe(52 * 7 * 86_400_000);
    expect(parseInfluxDuration('INF')).toBe(0);
    expect(parseInfluxDuration('0s')).toBe(0);
    expect(parseInfluxDuration('30')).toBeUndefined();
    expect(parseInfluxDuration('1h 30m')).toBeUndefined();
    expect(parseInfluxDuration('500ms')).toBeUndefined();
  });
});
