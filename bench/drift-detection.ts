/**
 * Drift-detection benchmark (npm run bench:drift): a simulated month of normal, noisy DAQ data
 * for all 94 PMTs (SPE gain every 10 min with 1 % error; DCR every 10 s with Poisson noise; the
 * crystal and panel temperatures following a daily and an air-conditioning cycle, to which DCR
 * and gain respond through their calibrated coefficients), with slow gain drifts and DCR creeps
 * of several sizes injected at random times on some channels. The SAME readings go through the
 * alarm rule engine (config/alarms.yaml), which runs side by side
 *   threshold:  gain-drift (warning at 5 % off calibration), dcr-high (warning at 2x expected)
 *   detector:   gain-creep, dcr-creep (two-sided CUSUM on the normalized residual)
 * and the run reports false alarms per channel-month (channels without an injected drift of
 * that kind) and detection delays per drift size. Seeded: the same SEED gives the same table.
 *   SEED=1 MONTHS=2 DCR_STEP_S=10 npm run bench:drift
 */
import { join } from 'node:path';
import type { Reading } from '@cicenns/contracts';
import { commissionEvery } from '../test/support/fixtures/commissioned';
import { dcrAtTemperature, defaultConfigDir, loadSystemConfig, type CalibrationRecord } from '@cicenns/model';
import type { Condition } from '../apps/alarms/src/contracts';
import { DefaultRuleEngine, loadAlarmConfig, type AlarmConfig } from '../apps/alarms/src/rules';
import { Random } from '@cicenns/common';

const SEED = Number(process.env.SEED ?? 1);
const MONTHS = Number(process.env.MONTHS ?? 2);
const DCR_STEP_S = Number(process.env.DCR_STEP_S ?? 10);
const DAY_MS = 86_400_000;
const MONTH_DAYS = 30;
const GAIN_STEP_MS = 600_000;
const TEMP_STEP_MS = 60_000;
const GAIN_REL_ERR = 0.01;
/** injected drifts: size per day, channels per size and month */
const GAIN_DRIFTS_PCT_PER_DAY = [0.5, 1, 2, 5];
const DCR_CREEPS_PCT_PER_DAY = [5, 10, 20, 50];
const CHANNELS_PER_SIZE = 10;
/** drifts start between these days, after every detector's warm-up */
const DRIFT_START_DAYS: [number, number] = [3, 17];

const RULES = {
  gain: { threshold: 'gain-drift', detector: 'gain-creep' },
  dcr: { threshold: 'dcr-high', detector: 'dcr-creep' },
} as const;
type Kind = keyof typeof RULES;
type Method = 'threshold' | 'detector';

interface Drift {
  kind: Kind;
  pmt: string;
  /** relative change per day (signed for gain) */
  perDay: number;
  sizePct: number;
  startMs: number;
}

/** The runtime's delay, reduced to what the benchmark needs: when an alarm would be raised. */
class RaiseTracker {
  private since = new Map<string, number>();
  private raised = new Set<string>();
  readonly raises: { alarmId: string; ts: number }[] = [];

  constructor(private readonly delayOf: (rule: string) => number) {}

  feed(conditions: Condition[]): void {
    for (const c of conditions) {
      if (!c.active) {
        this.since.delete(c.alarmId);
        this.raised.delete(c.alarmId);
        continue;
      }
      const since = this.since.get(c.alarmId) ?? c.ts;
      this.since.set(c.alarmId, since);
      if (!this.raised.has(c.alarmId) && c.ts - since >= this.delayOf(c.rule)) {
        this.raised.add(c.alarmId);
        this.raises.push({ alarmId: c.alarmId, ts: c.ts });
      }
    }
  }
}

interface MonthResult {
  drifts: Drift[];
  raises: { alarmId: string; ts: number }[];
  startMs: number;
}

function simulateMonth(month: number, alarmCfg: AlarmConfig): MonthResult {
  const cfg = loadSystemConfig(undefined, {});
  // the thresholds judge only commissioned tubes: a detector whose tubes are the simulated truth
  commissionEvery(cfg.detector);
  // one stream per purpose, so that e.g. the DCR step does not change the gain noise
  const stream = (n: number) => new Random(SEED * 1000 + month * 10 + n);
  const rng = stream(0);
  const tempNoise = stream(1);
  const dcrNoise = stream(2);
  const gainNoise = stream(3);
  const engine = new DefaultRuleEngine(cfg, alarmCfg);
  const pmts = cfg.detector.pmts;
  const startMs = Date.parse('2026-03-01T00:00:00Z') + month * MONTH_DAYS * DAY_MS;
  const cal = new Map<string, CalibrationRecord>(
    pmts.map((p) => [p.id, cfg.detector.currentCalibration(p.id, startMs)!]),
  );

  // Temperatures: base per sensor, a daily cycle and an air-conditioning cycle, both with random phases.
  const sensors = cfg.detector.sensors.map((s) => ({
    id: s.id,
    base: 22 + 0.6 * (rng.next() - 0.5),
    dailyC: 1 + rng.next(),
    acC: 0.5 + rng.next(),
    acPeriodMs: (3 + 3 * rng.next()) * 3_600_000,
    phase: 2 * Math.PI * rng.next(),
  }));
  const trueTemp = new Map<string, number>();
  const temperatureAt = (t: number) => {
    for (const s of sensors) {
      const v =
        s.base +
        s.dailyC * Math.sin((2 * Math.PI * (t - startMs)) / DAY_MS + s.phase) +
        s.acC * Math.sin((2 * Math.PI * (t - startMs)) / s.acPeriodMs + 2 * s.phase);
      trueTemp.set(s.id, v);
    }
  };

  const drifts = pickDrifts(
    rng,
    pmts.map((p) => p.id),
    startMs,
  );
  const driftOf = (kind: Kind, pmt: string) => drifts.find((d) => d.kind === kind && d.pmt === pmt);
  const gainDrift = new Map(pmts.map((p) => [p.id, driftOf('gain', p.id)]));
  const dcrDrift = new Map(pmts.map((p) => [p.id, driftOf('dcr', p.id)]));
  const factor = (d: Drift | undefined, t: number) =>
    d && t > d.startMs ? 1 + (d.perDay * (t - d.startMs)) / DAY_MS : 1;

  const delays = new Map(Object.entries(alarmCfg.rules).map(([rule, p]) => [rule, p.delayMs]));
  const tracker = new RaiseTracker((rule) => delays.get(rule) ?? 0);
  // the HV is settled at the calibration setpoint all month
  const hv: Reading[] = pmts.map((p) => ({
    m: 'hv',
    id: p.id,
    ts: startMs,
    quality: 'good',
    fields: { vset: cal.get(p.id)!.hvV, vmon: cal.get(p.id)!.hvV, power: 1, status: 1 },
    source: p.hv.device,
  }));
  tracker.feed(engine.onReadings(hv, startMs));

  const stepMs = DCR_STEP_S * 1000;
  for (let t = startMs; t < startMs + MONTH_DAYS * DAY_MS; t += stepMs) {
    temperatureAt(t);
    const batch: Reading[] = [];
    if ((t - startMs) % TEMP_STEP_MS === 0) {
      for (const s of sensors) {
        // the PT100 transmitter reports 0.1 degC steps
        const v = Math.round((trueTemp.get(s.id)! + 0.02 * tempNoise.gaussian()) * 10) / 10;
        batch.push({
          m: 'temperature',
          id: s.id,
          ts: t,
          quality: 'good',
          fields: { value_c: v },
          source: 'pt100',
        });
      }
    }
    for (const p of pmts) {
      const c = cal.get(p.id)!;
      const rate = dcrAtTemperature(c, trueTemp.get(p.sensorId!)!) * factor(dcrDrift.get(p.id), t);
      const counts = dcrNoise.poisson(rate * DCR_STEP_S);
      batch.push({
        m: 'dcr',
        id: p.id,
        ts: t,
        quality: 'good',
        fields: { rate_hz: counts / DCR_STEP_S, window_s: DCR_STEP_S },
        source: 'daq',
      });
    }
    if ((t - startMs) % GAIN_STEP_MS === 0) {
      for (const p of pmts) {
        const c = cal.get(p.id)!;
        const temp = trueTemp.get(p.sensorId!)!;
        const g =
          c.gain *
          (1 + c.gainTempCoeffPerC * (temp - c.dcrRefTempC)) *
          factor(gainDrift.get(p.id), t) *
          (1 + GAIN_REL_ERR * gainNoise.gaussian());
        batch.push({
          m: 'gain',
          id: p.id,
          ts: t,
          quality: 'good',
          fields: { gain: g, gain_err: GAIN_REL_ERR * g },
          source: 'daq',
        });
      }
    }
    tracker.feed(engine.onReadings(batch, t));
  }
  return { drifts, raises: tracker.raises, startMs };
}

/** CHANNELS_PER_SIZE channels per drift size and kind; gain and DCR drifts are placed independently. */
function pickDrifts(rng: Random, ids: string[], startMs: number): Drift[] {
  const drifts: Drift[] = [];
  const place = (kind: Kind, sizes: number[]) => {
    const pool = shuffle(rng, ids);
    let i = 0;
    for (const sizePct of sizes) {
      for (let n = 0; n < CHANNELS_PER_SIZE; n++) {
        const day = DRIFT_START_DAYS[0] + (DRIFT_START_DAYS[1] - DRIFT_START_DAYS[0]) * rng.next();
        const sign = kind === 'gain' && rng.next() < 0.5 ? -1 : 1;
        drifts.push({
          kind,
          pmt: pool[i++],
          perDay: (sign * sizePct) / 100,
          sizePct,
          startMs: startMs + day * DAY_MS,
        });
      }
    }
  };
  place('gain', GAIN_DRIFTS_PCT_PER_DAY);
  place('dcr', DCR_CREEPS_PCT_PER_DAY);
  return drifts;
}

function shuffle<T>(rng: Random, xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function summarize(results: MonthResult[], pmtCount: number): string {
  const lines: string[] = [];
  const hours = (ms: number) => (ms / 3_600_000).toFixed(1);
  lines.push('| quantity | method (rule) | false alarms / channel-month | clean channel-months |');
  lines.push('|---|---|---|---|');
  for (const kind of ['gain', 'dcr'] as Kind[]) {
    for (const method of ['threshold', 'detector'] as Method[]) {
      const rule = RULES[kind][method];
      let falseAlarms = 0;
      let channelMonths = 0;
      for (const r of results) {
        const drifted = new Set(r.drifts.filter((d) => d.kind === kind).map((d) => d.pmt));
        channelMonths += pmtCount - drifted.size;
        falseAlarms += r.raises.filter(
          (x) => x.alarmId.startsWith(`${rule}:`) && !drifted.has(x.alarmId.split(':')[1]),
        ).length;
      }
      lines.push(
        `| ${kind} | ${method} (${rule}) | ${(falseAlarms / channelMonths).toFixed(4)} (${falseAlarms}) | ${channelMonths} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    '| quantity | drift | method (rule) | detected | median delay [h] | p90 delay [h] | speed-up of median |',
  );
  lines.push('|---|---|---|---|---|---|---|');
  for (const kind of ['gain', 'dcr'] as Kind[]) {
    const sizes = kind === 'gain' ? GAIN_DRIFTS_PCT_PER_DAY : DCR_CREEPS_PCT_PER_DAY;
    for (const size of sizes) {
      const medians: Partial<Record<Method, number>> = {};
      for (const method of ['threshold', 'detector'] as Method[]) {
        const rule = RULES[kind][method];
        const delays: number[] = [];
        let n = 0;
        for (const r of results) {
          for (const d of r.drifts.filter((x) => x.kind === kind && x.sizePct === size)) {
            n++;
            const hit = r.raises.find((x) => x.alarmId === `${rule}:${d.pmt}` && x.ts >= d.startMs);
            if (hit) delays.push(hit.ts - d.startMs);
          }
        }
        const med = delays.length ? quantile(delays, 0.5) : NaN;
        medians[method] = med;
        const speedUp =
          method === 'detector' && Number.isFinite(medians.threshold!) && Number.isFinite(med)
            ? `${(medians.threshold! / med).toFixed(1)}x`
            : '';
        lines.push(
          `| ${kind} | ${size} %/day | ${method} (${rule}) | ${delays.length}/${n} | ${delays.length ? hours(med) : '-'} | ${delays.length ? hours(quantile(delays, 0.9)) : '-'} | ${speedUp} |`,
        );
      }
    }
  }
  const watched = new Set<string>(Object.values(RULES).flatMap((r) => [r.threshold, r.detector]));
  const other = results.flatMap((r) => r.raises).filter((x) => !watched.has(x.alarmId.split(':')[0]));
  lines.push('');
  const byRule = new Map<string, number>();
  for (const x of other) byRule.set(x.alarmId.split(':')[0], (byRule.get(x.alarmId.split(':')[0]) ?? 0) + 1);
  lines.push(
    `Other alarms raised during the run: ${other.length} ${JSON.stringify(Object.fromEntries(byRule))}`,
  );
  return lines.join('\n');
}

function main(): void {
  const alarmCfg = loadAlarmConfig(join(defaultConfigDir(), 'alarms.yaml'));
  const started = Date.now();
  const results: MonthResult[] = [];
  for (let m = 0; m < MONTHS; m++) results.push(simulateMonth(m, alarmCfg));
  const pmtCount = loadSystemConfig(undefined, {}).detector.pmts.length;
  const g = alarmCfg.rules['gain-creep'].cusum;
  const d = alarmCfg.rules['dcr-creep'];
  console.log(
    `# Drift detection: ${MONTHS} simulated month(s) x ${pmtCount} PMTs, SEED=${SEED}, DCR every ${DCR_STEP_S} s\n`,
  );
  console.log(
    `gain-creep: k=${g.k} h=${g.h} warm-up ${g.warmupSamples} samples, minSigma ${g.minSigma}; ` +
      `dcr-creep: ${d.aggregateMs / 60000}-min bins, k=${d.cusum.k} h=${d.cusum.h} warm-up ${d.cusum.warmupSamples}, minSigma ${d.cusum.minSigma}; ` +
      `gain-drift warn ${alarmCfg.rules['gain-drift'].warnPct} %, dcr-high warn ${alarmCfg.rules['dcr-high'].warnFactor}x (delay ${alarmCfg.rules['dcr-high'].delayMs / 1000} s)\n`,
  );
  console.log(summarize(results, pmtCount));
  console.log(`\nrun time ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main();
