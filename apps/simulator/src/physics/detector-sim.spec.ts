import { loadSystemConfig } from '@cicenns/model';
import { FaultRegistry } from '../faults/fault-registry';
import { DetectorSim } from './detector-sim';
import { HvStatus } from './hv-channel';
import { Random } from '@cicenns/common';

const config = loadSystemConfig(undefined, {});

function setup(noise = 0) {
  let now = 1_800_000_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const faults = new FaultRegistry(config, clock.now);
  const sim = new DetectorSim(config, faults, new Random(7), { noise, coincWindowNs: 100 }, now);
  const tick = (ms: number, step = 100) => {
    for (let t = 0; t < ms; t += step) sim.tick(clock.advance(step));
  };
  return { sim, faults, clock, tick };
}

describe('DetectorSim physics', () => {
  it('gain follows the power law in VMon', () => {
    const { sim, tick } = setup();
    const cal = sim.calibration('CsI03-A')!;
    const g0 = sim.expectedGain('CsI03-A', 0);
    sim.hvOfPmt('CsI03-A')!.vset = cal.hvV * 1.01;
    tick(2000);
    expect(sim.hvOfPmt('CsI03-A')!.vTrue).toBeCloseTo(cal.hvV * 1.01, 6);
    expect(sim.expectedGain('CsI03-A', 0) / g0).toBeCloseTo(Math.pow(1.01, cal.beta), 6);
  });

  it('DCR grows exponentially with temperature and as (V/V_cal)^(beta/2)', () => {
    const { sim, faults, tick } = setup();
    const cal = sim.calibration('CsI05-B')!;
    const t0 = sim.temperature('T-CsI05');
    const r0 = sim.expectedDcr('CsI05-B');
    expect(r0).toBeCloseTo(cal.dcrHz * Math.exp(cal.dcrTempCoeffPerC * (t0 - cal.dcrRefTempC)), 6);
    faults.add({ type: 'temperature-offset', sensor: 'T-CsI05', deltaC: 3 });
    tick(100);
    expect(sim.temperature('T-CsI05')).toBeCloseTo(t0 + 3, 6);
    expect(sim.expectedDcr('CsI05-B') / r0).toBeCloseTo(Math.exp(3 * cal.dcrTempCoeffPerC), 6);
    // other crystals are not affected
    expect(sim.temperature('T-CsI06')).not.toBeCloseTo(t0 + 3, 1);

    const before = sim.expectedDcr('CsI05-B');
    sim.hvOfPmt('CsI05-B')!.vset = cal.hvV * 0.9;
    tick(10_000);
    expect(sim.expectedDcr('CsI05-B') / before).toBeCloseTo(Math.pow(0.9, cal.beta / 2), 6);
  });

  it('coincidences are accidentals 2 tau R1 R2', () => {
    const { sim } = setup();
    const r1 = sim.expectedDcr('CsI07-A');
    const r2 = sim.expectedDcr('CsI07-B');
    expect(sim.expectedCoincidence('CsI07')).toBeCloseTo(2 * 100e-9 * r1 * r2, 9);
    expect(sim.expectedCoincidence('CsI07')).toBeGreaterThan(1.5); // ~1.7 Hz for two 2.9 kHz tubes
  });

  it('measurements scatter with Poisson statistics around the expectation', () => {
    const { sim } = setup(1);
    const expected = sim.expectedDcr('PSV10-A');
    const xs = Array.from({ length: 400 }, () => sim.measureDcr(10)['PSV10-A']);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
    expect(mean / expected).toBeCloseTo(1, 2);
    expect(sd / Math.sqrt(expected / 10)).toBeGreaterThan(0.85); // Poisson: sigma = sqrt(R / window)
    expect(sd / Math.sqrt(expected / 10)).toBeLessThan(1.15);
    expect(sim.last.dcr['PSV10-A']).toBe(xs[xs.length - 1]);
  });

  it('temperatures: crystals near 22 degC, hall and rack different, spare inputs open', () => {
    const { sim } = setup(1);
    expect(Math.abs(sim.temperatureReading('T-CsI01')! - 22)).toBeLessThan(0.5);
    expect(sim.temperatureReading('T-rack')!).toBeGreaterThan(25);
    expect(sim.temperatureReading('T-hall')!).toBeGreaterThan(23);
  });
});

describe('DetectorSim faults', () => {
  it('gain-drift grows linearly with time since injection', () => {
    const { sim, faults, tick } = setup();
    const g0 = sim.expectedGain('CsI01-A', 0);
    const f = faults.add({ type: 'gain-drift', pmt: 'CsI01-A', pctPerHour: 3600 }); // 1 %/s
    tick(5000);
    const nowMs = f.injectedAtMs + 5000;
    expect(sim.expectedGain('CsI01-A', nowMs) / g0).toBeCloseTo(1.05, 3);
    expect(sim.expectedGain('CsI01-B', nowMs) / g0).toBeCloseTo(1, 3);
    faults.remove(f.id);
    expect(sim.expectedGain('CsI01-A', nowMs) / g0).toBeCloseTo(1, 6);
  });

  it('dcr-jump multiplies the rate and the coincidences follow', () => {
    const { sim, faults } = setup();
    const r = sim.expectedDcr('CsI02-A');
    const c = sim.expectedCoincidence('CsI02');
    faults.add({ type: 'dcr-jump', pmt: 'CsI02-A', factor: 10 });
    expect(sim.expectedDcr('CsI02-A')).toBeCloseTo(10 * r, 6);
    expect(sim.expectedCoincidence('CsI02')).toBeCloseTo(10 * c, 6);
  });

  it('hv-trip switches the channel off with the tripped bit; DCR and gain go away', () => {
    const { sim, faults, tick } = setup();
    const f = faults.add({ type: 'hv-trip', pmt: 'PSV04-B' });
    const ch = sim.hvOfPmt('PSV04-B')!;
    expect(ch.power).toBe(0);
    tick(60_000, 500);
    expect(ch.status & HvStatus.tripped).toBeTruthy();
    expect(ch.vTrue).toBe(0);
    expect(sim.expectedDcr('PSV04-B')).toBe(0);
    expect(sim.measureGain(0)['PSV04-B']).toBeUndefined();
    faults.remove(f.id); // clearing the fault resets the channel, which ramps back up
    tick(1000);
    expect(ch.status & HvStatus.on).toBeTruthy();
    expect(ch.vTrue).toBeCloseTo(20, 6);
  });

  it('over-current raises IMon above iset, sets the bit, then trips after trip_time', () => {
    const { sim, faults, tick } = setup();
    faults.add({ type: 'over-current', pmt: 'CsI09-A', imonUa: 170 });
    const ch = sim.hvOfPmt('CsI09-A')!;
    tick(500);
    expect(ch.imon).toBeCloseTo(170, 6);
    expect(ch.status & HvStatus.overCurrent).toBeTruthy();
    expect(ch.tripped).toBe(false);
    tick(600);
    expect(ch.tripped).toBe(true);
  });

  it('sensor-open reads null while the true temperature still drives the DCR', () => {
    const { sim, faults, tick } = setup();
    faults.add({ type: 'sensor-open', sensor: 'T-CsI04' });
    tick(100);
    expect(sim.temperatureReading('T-CsI04')).toBeNull();
    expect(sim.expectedDcr('CsI04-A')).toBeGreaterThan(2000);
  });

  it('temperature-cycle oscillates with the given amplitude and period', () => {
    const { sim, faults, tick } = setup();
    const t0 = sim.temperature('T-hall');
    faults.add({ type: 'temperature-cycle', sensor: 'T-hall', amplitudeC: 2, periodS: 4 });
    tick(1000); // a quarter period: the maximum
    expect(sim.temperature('T-hall') - t0).toBeCloseTo(2, 6);
    tick(2000);
    expect(sim.temperature('T-hall') - t0).toBeCloseTo(-2, 6);
  });

  it('beam-off switches the beam off until cleared', () => {
    const { sim, faults } = setup();
    expect(sim.beam()).toEqual({ on: true, power_kw: 140, rep_rate_hz: 25 });
    faults.add({ type: 'beam-off' });
    expect(sim.beam()).toMatchObject({ on: false, power_kw: 0 });
    faults.clear();
    expect(sim.beam().on).toBe(true);
  });

  it('truth reports every PMT, sensor and crystal', () => {
    const { sim } = setup();
    sim.measureDcr(10);
    const t = sim.truth(0) as Record<string, Record<string, unknown>>;
    expect(Object.keys(t.hv)).toHaveLength(94);
    expect(Object.keys(t.dcr)).toHaveLength(94);
    expect(Object.keys(t.temperatures)).toHaveLength(19);
    expect(Object.keys(t.coincidenceExpected)).toHaveLength(15);
    expect(t.hv['CsI01-A']).toMatchObject({ vset: 1400, iset: 150, power: 1, status: HvStatus.on });
  });
});
