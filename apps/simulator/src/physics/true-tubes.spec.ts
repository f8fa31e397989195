import { Random } from '@cicenns/common';
import { loadSystemConfig } from '@cicenns/model';
import { FaultRegistry } from '../faults/fault-registry';
import { DetectorSim, type DetectorSimOptions } from './detector-sim';
import { datasheetTube, drawTube, NOMINAL_DIVIDER_MOHM, type TrueTube } from './true-tubes';

const config = loadSystemConfig(undefined, {});
const crystal = config.detector.pmt('CsI04-A')!;
const veto = config.detector.pmt('PSV07-B')!;
const sheetOf = (id: string) =>
  datasheetTube(config.detector.pmt(id)!, config.detector.calibrationHistory(id)[0]);

function stats(xs: number[]): { mean: number; sd: number; min: number; max: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}

function simWith(opts: Partial<DetectorSimOptions>) {
  let now = 1_800_000_000_000;
  const faults = new FaultRegistry(config, () => now);
  const sim = new DetectorSim(config, faults, new Random(1), { noise: 0, coincWindowNs: 100, ...opts }, now);
  const tick = (ms: number, step = 100) => {
    for (let t = 0; t < ms; t += step) sim.tick((now += step));
  };
  return { sim, faults, tick };
}

describe('true tubes (SPEC 3.1)', () => {
  it('spread 0 gives every tube its datasheet figures exactly', () => {
    const { sim } = simWith({ tubeSpread: 0, seed: 99 });
    for (const p of config.detector.pmts) {
      expect(sim.tube(p.id)).toEqual(sheetOf(p.id));
    }
    expect(sim.tube(crystal.id)).toMatchObject({
      g0: 3.6e6,
      v0: 1400,
      beta: 7,
      dcr0Hz: 2900,
      dividerMOhm: 14,
    });
    expect(sim.tube(veto.id)).toMatchObject({ g0: 1.4e7, v0: 900, dividerMOhm: 10 });
  });

  it('over many seeds the tubes of one type have the batch spreads of SPEC 3.1', () => {
    const sheet = sheetOf(crystal.id);
    const tubes: TrueTube[] = [];
    for (let seed = 0; seed < 4000; seed++) tubes.push(drawTube(sheet, seed, crystal.id, 1));
    const lnGain = stats(tubes.map((t) => Math.log(t.g0 / sheet.g0)));
    expect(Math.abs(lnGain.mean)).toBeLessThan(0.02);
    expect(lnGain.sd).toBeGreaterThan(0.33);
    expect(lnGain.sd).toBeLessThan(0.37);
    const lnDcr = stats(tubes.map((t) => Math.log(t.dcr0Hz / sheet.dcr0Hz)));
    expect(Math.abs(lnDcr.mean)).toBeLessThan(0.025);
    expect(lnDcr.sd).toBeGreaterThan(0.38);
    expect(lnDcr.sd).toBeLessThan(0.42);
    const beta = stats(tubes.map((t) => t.beta));
    expect(beta.min).toBeGreaterThanOrEqual(6);
    expect(beta.max).toBeLessThanOrEqual(9);
    expect(beta.mean).toBeCloseTo(7.5, 1);
    expect(beta.sd).toBeCloseTo(3 / Math.sqrt(12), 1); // uniform
    const k = stats(tubes.map((t) => t.dcrTempCoeffPerC));
    expect(k.min).toBeGreaterThanOrEqual(0.03);
    expect(k.max).toBeLessThanOrEqual(0.07);
    const gk = stats(tubes.map((t) => t.gainTempCoeffPerC));
    expect(gk.mean).toBeCloseTo(-0.003, 4);
    expect(gk.sd).toBeLessThan(0.001);
    const div = stats(tubes.map((t) => t.dividerMOhm / NOMINAL_DIVIDER_MOHM.crystal));
    expect(div.min).toBeGreaterThanOrEqual(0.95);
    expect(div.max).toBeLessThanOrEqual(1.05);
    expect(div.max - div.min).toBeGreaterThan(0.095); // fills the +-5 %
    expect(tubes.every((t) => t.v0 === 1400 && t.dcrRefTempC === 22)).toBe(true);
  });

  it('a tube depends only on the seed and its PMT id, not on the other tubes', () => {
    const a = drawTube(sheetOf(crystal.id), 42, crystal.id, 1);
    drawTube(sheetOf(veto.id), 42, veto.id, 1);
    expect(drawTube(sheetOf(crystal.id), 42, crystal.id, 1)).toEqual(a);
    expect(drawTube(sheetOf(crystal.id), 43, crystal.id, 1)).not.toEqual(a);
    expect(drawTube(sheetOf(crystal.id), 42, 'CsI04-B', 1).g0).not.toBe(a.g0);
    // the simulator draws the same tubes from the same seed, whatever its noise stream does
    const one = simWith({ tubeSpread: 1, seed: 42 }).sim;
    expect(one.tube(crystal.id)).toEqual(a);
  });

  it('half the spread halves the spread around the datasheet', () => {
    const sheet = sheetOf(crystal.id);
    const full = drawTube(sheet, 7, crystal.id, 1);
    const half = drawTube(sheet, 7, crystal.id, 0.5);
    expect(Math.log(half.g0 / sheet.g0)).toBeCloseTo(Math.log(full.g0 / sheet.g0) / 2, 9);
    expect(half.beta - sheet.beta).toBeCloseTo((full.beta - sheet.beta) / 2, 9);
  });

  it('the simulated physics follows the tube, not calibration.yaml: gain, DCR, IMon = V / R_div', () => {
    const { sim } = simWith({ tubeSpread: 1, seed: 5 });
    const tube = sim.tube(crystal.id)!;
    const ch = sim.hvOfPmt(crystal.id)!;
    const temp = sim.temperature(crystal.sensorId);
    expect(ch.vTrue).toBe(1400);
    expect(sim.expectedGain(crystal.id, 0)).toBeCloseTo(
      tube.g0 * (1 + tube.gainTempCoeffPerC * (temp - 22)),
      -1,
    );
    expect(sim.expectedDcr(crystal.id)).toBeCloseTo(
      tube.dcr0Hz * Math.exp(tube.dcrTempCoeffPerC * (temp - 22)),
      6,
    );
    expect(ch.imon).toBeCloseTo(1400 / tube.dividerMOhm, 6);
    expect(Math.abs(ch.imon - 100)).toBeGreaterThan(0.01); // not the nominal 14 MOhm
    const truth = sim.truth(0) as { tubes: Record<string, TrueTube> };
    expect(truth.tubes[crystal.id]).toEqual(tube);
    expect(Object.keys(truth.tubes)).toHaveLength(94);
  });

  it('SIM_HV_START=off: every channel starts powered off at 0 V', () => {
    const { sim, tick } = simWith({ hvStart: 'off' });
    tick(1000);
    for (const p of config.detector.pmts) {
      const ch = sim.hvOfPmt(p.id)!;
      expect([ch.power, ch.vset, ch.vTrue]).toEqual([0, 0, 0]);
      expect(sim.expectedDcr(p.id)).toBe(0);
    }
  });
});

describe('DCR settling after a voltage change', () => {
  it('is elevated by 1 + A while the voltage moves, then decays with tau', () => {
    const { sim, tick } = simWith({ dcrSettleAmplitude: 0.5, dcrSettleTauS: 2 });
    const id = crystal.id;
    const steady = sim.expectedDcr(id);
    expect(sim.dcrSettleFactor(id)).toBe(1); // settled before the simulator started
    const ch = sim.hvOfPmt(id)!;
    ch.vset = 1380; // 1 s at 20 V/s
    tick(1000);
    expect(ch.vTrue).toBe(1380);
    const newSteady = steady * Math.pow(1380 / 1400, 7 / 2);
    expect(sim.expectedDcr(id) / newSteady).toBeCloseTo(1.5, 2);
    tick(2000); // one tau after reaching the voltage
    expect(sim.expectedDcr(id) / newSteady).toBeCloseTo(1 + 0.5 * Math.exp(-1), 2);
    tick(30_000);
    expect(sim.expectedDcr(id) / newSteady).toBeCloseTo(1, 4);
  });
});

describe('divider and gain faults', () => {
  it('divider-short puts IMon far above V / R, divider-open near zero; clearing restores the line', () => {
    const { sim, faults, tick } = simWith({ tubeSpread: 1, seed: 3 });
    const id = veto.id;
    const ch = sim.hvOfPmt(id)!;
    ch.iset = 1000; // no trip: this test looks at the current
    const line = ch.vTrue / sim.tube(id)!.dividerMOhm;
    const short = faults.add({ type: 'divider-short', pmt: id });
    tick(100);
    expect(ch.imon / line).toBeCloseTo(1 / 0.3, 6);
    faults.remove(short.id);
    const half = faults.add({ type: 'divider-short', pmt: id, factor: 0.5 });
    tick(100);
    expect(ch.imon / line).toBeCloseTo(2, 6);
    faults.remove(half.id);
    faults.add({ type: 'divider-open', pmt: id });
    tick(100);
    expect(ch.imon).toBe(0);
    expect(ch.vTrue).toBeCloseTo(900, 6); // the voltage is still there
    faults.clear();
    tick(100);
    expect(ch.imon).toBeCloseTo(line, 6);
  });

  it('a shorted crystal divider draws more than the current limit and trips the channel', () => {
    const { sim, faults, tick } = simWith({});
    faults.add({ type: 'divider-short', pmt: crystal.id });
    tick(1500);
    expect(sim.hvOfPmt(crystal.id)!.tripped).toBe(true);
  });

  it('gain-wander moves the gain by about its amplitude, up and down, over its period', () => {
    const { sim, faults, tick } = simWith({ noise: 1 });
    const id = crystal.id;
    const base = sim.expectedGain(id, 0);
    const f = faults.add({ type: 'gain-wander', pmt: id, amplitudePct: 10, periodS: 20 });
    const dev: number[] = [];
    for (let i = 0; i < 200; i++) {
      tick(200);
      dev.push(sim.expectedGain(id, f.injectedAtMs + (i + 1) * 200) / base - 1);
    }
    expect(Math.max(...dev)).toBeGreaterThan(0.04);
    expect(Math.min(...dev)).toBeLessThan(-0.04);
    expect(Math.max(...dev.map(Math.abs))).toBeLessThan(0.35);
    // another tube does not wander
    expect(sim.expectedGain('CsI04-B', 0)).toBeCloseTo(sim.expectedGain('CsI04-B', 1e9), 0);
  });

  it('rejects the new faults with a bad shape, naming the field', () => {
    const { faults } = simWith({});
    expect(() => faults.add({ type: 'divider-short', pmt: 'CsI01-A', factor: 2 })).toThrow(/factor/);
    expect(() => faults.add({ type: 'gain-wander', pmt: 'CsI01-A', amplitudePct: 5 })).toThrow(/periodS/);
    expect(() => faults.add({ type: 'divider-open', pmt: 'CsI99-A' })).toThrow(/unknown PMT/);
    expect(() => faults.add({ type: 'daq-silent', pmt: 'CsI01-A' })).toThrow();
    expect(faults.add({ type: 'daq-wrong-pmt' }).type).toBe('daq-wrong-pmt');
  });
});
