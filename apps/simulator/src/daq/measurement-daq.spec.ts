import { Random } from '@cicenns/common';
import {
  measureResultSchema,
  measureStatusSchema,
  type DcrResult,
  type GainResult,
  type MeasureResult,
  type MeasureStatus,
} from '@cicenns/contracts';
import { loadSystemConfig } from '@cicenns/model';
import { FaultRegistry } from '../faults/fault-registry';
import { DetectorSim } from '../physics/detector-sim';
import { MeasurementDaq, type MeasurementDaqSettings } from './measurement-daq';

const config = loadSystemConfig(undefined, {});
const ALL = config.detector.pmts.map((p) => p.id);

function setup(settings: Partial<MeasurementDaqSettings> = {}, seed = 11) {
  const rng = new Random(seed);
  const faults = new FaultRegistry(config);
  const sim = new DetectorSim(
    config,
    faults,
    rng,
    { noise: 1, coincWindowNs: 100, tubeSpread: 1, seed },
    Date.now(),
  );
  const sent: { topic: string; payload: Record<string, unknown> }[] = [];
  const client = {
    connected: true,
    publish: (topic: string, payload: string) => {
      sent.push({ topic, payload: JSON.parse(payload) });
      return client;
    },
  } as never;
  const warnings: string[] = [];
  const log = { log: () => undefined, warn: (m: string) => warnings.push(m) };
  const daq = new MeasurementDaq(
    sim,
    faults,
    rng,
    { noise: 1, daqBusyWhenBeam: false, ...settings },
    client,
    log,
  );
  /** advance real (fake) time in physics ticks of 100 ms */
  const run = (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      jest.advanceTimersByTime(100);
      sim.tick(Date.now());
    }
  };
  const statuses = (id: string) =>
    sent
      .filter((m) => m.topic === `cicenns/daq/cmd/measure/${id}/status`)
      .map((m) => measureStatusSchema.parse(m.payload));
  const result = (id: string): MeasureResult | undefined => {
    const m = sent.find((x) => x.topic === `cicenns/daq/cmd/measure/${id}/result`);
    return m && measureResultSchema.parse(m.payload);
  };
  const ask = (body: object) => daq.handle(JSON.stringify(body));
  return { sim, faults, daq, sent, warnings, run, statuses, result, ask };
}

function stats(xs: number[]) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, sd: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('MeasurementDaq (SPEC 2.4)', () => {
  it('answers accepted at once and the DCR result after duration_s: rate N/t, error sqrt(N)/t', () => {
    const { sim, run, statuses, result, ask } = setup();
    ask({ request_id: 'r1', kind: 'dcr', pmts: ['CsI02-A', 'PSV03-B'], duration_s: 5, run: 'test' });
    expect(statuses('r1').map((s: MeasureStatus) => s.state)).toEqual(['accepted']);
    run(4900);
    expect(result('r1')).toBeUndefined();
    run(200);
    const r = result('r1')!;
    expect(r.kind).toBe('dcr');
    expect(r.errors).toBeUndefined();
    for (const id of ['CsI02-A', 'PSV03-B']) {
      const d = r.results[id] as DcrResult;
      const n = d.rate_hz * 5;
      expect(n).toBeCloseTo(Math.round(n), 6); // a whole number of counts
      expect(d.rate_err_hz).toBeCloseTo(Math.sqrt(n) / 5, 9);
      expect(Math.abs(d.rate_hz - sim.expectedDcr(id))).toBeLessThan(5 * d.rate_err_hz);
    }
  });

  it('DCR results scatter around the true rate exactly as their stated errors say', () => {
    const { sim, run, result, ask } = setup();
    const pulls: number[] = [];
    for (let i = 0; i < 40; i++) {
      ask({ request_id: `d${i}`, kind: 'dcr', pmts: ALL, duration_s: 1 });
      run(1000);
      const r = result(`d${i}`)!;
      for (const id of ALL) {
        const d = r.results[id] as DcrResult;
        pulls.push((d.rate_hz - sim.expectedDcr(id)) / (Math.sqrt(sim.expectedDcr(id) * 1) / 1));
        expect(d.rate_err_hz).toBeCloseTo(Math.sqrt(d.rate_hz), 9);
      }
    }
    const s = stats(pulls); // 3760 pulls
    expect(Math.abs(s.mean)).toBeLessThan(0.06);
    expect(s.sd).toBeGreaterThan(0.95);
    expect(s.sd).toBeLessThan(1.05);
  });

  it('SPE gains: n_spe dark pulses, error k/sqrt(n_spe), and the error bars cover the truth 68 % of the time', () => {
    const { sim, run, result, ask } = setup();
    const pulls: number[] = [];
    const rel: number[] = [];
    for (let i = 0; i < 30; i++) {
      ask({ request_id: `g${i}`, kind: 'spe-gain', pmts: ALL, duration_s: 2 });
      run(2000);
      const r = result(`g${i}`)!;
      expect(r.errors).toBeUndefined(); // every tube has >= 500 SPE in 2 s
      for (const id of ALL) {
        const g = r.results[id] as GainResult;
        expect(Number.isInteger(g.n_spe)).toBe(true);
        expect(g.gain_err / g.gain).toBeCloseTo(1.5 / Math.sqrt(g.n_spe), 9);
        expect(Math.abs(g.n_spe - 2 * sim.expectedDcr(id))).toBeLessThan(
          6 * Math.sqrt(2 * sim.expectedDcr(id)),
        );
        pulls.push((g.gain - sim.expectedGain(id, Date.now())) / g.gain_err);
        rel.push(g.gain_err / g.gain);
      }
    }
    const covered = pulls.filter((p) => Math.abs(p) < 1).length / pulls.length;
    expect(covered).toBeGreaterThan(0.64); // 68.3 % +- 4 sigma of 2820 pulls
    expect(covered).toBeLessThan(0.72);
    expect(stats(pulls).sd).toBeGreaterThan(0.95);
    expect(stats(pulls).sd).toBeLessThan(1.05);
    // a few thousand SPE give a few percent
    expect(Math.min(...rel)).toBeGreaterThan(0.01);
    expect(Math.max(...rel)).toBeLessThan(0.12);
  });

  it('too few single photoelectrons, or no voltage: an error for that PMT, not a gain', () => {
    const { sim, run, result, ask } = setup();
    const off = sim.hvOfPmt('CsI05-A')!;
    off.setPower(false);
    run(100_000);
    expect(off.vTrue).toBe(0);
    ask({ request_id: 'few', kind: 'spe-gain', pmts: ['CsI05-A', 'CsI05-B', 'PSV01-A'], duration_s: 0.1 });
    run(200);
    const r = result('few')!;
    expect(r.errors!['CsI05-A']).toBe('too few single photoelectrons (0) at 0 V');
    // a veto tube at ~300 Hz has ~30 SPE in 0.1 s
    expect(r.errors!['PSV01-A']).toMatch(/^too few single photoelectrons \(\d{1,2}\) at 900 V$/);
    expect(Object.keys(r.results)).toEqual(['CsI05-B']);
  });

  it('an unknown PMT is an error of the result; the others are measured', () => {
    const { run, result, ask } = setup();
    ask({ request_id: 'u', kind: 'dcr', pmts: ['CsI01-A', 'CsI77-A'], duration_s: 1 });
    run(1100);
    expect(result('u')!.errors).toEqual({ 'CsI77-A': 'unknown PMT "CsI77-A"' });
    expect(Object.keys(result('u')!.results)).toEqual(['CsI01-A']);
  });

  it('one request at a time: a second one while measuring is busy, then the DAQ is free again', () => {
    const { run, statuses, result, ask } = setup();
    ask({ request_id: 'a', kind: 'dcr', pmts: ['CsI01-A'], duration_s: 2 });
    run(500);
    ask({ request_id: 'b', kind: 'dcr', pmts: ['CsI01-B'], duration_s: 1 });
    expect(statuses('b')).toEqual([
      expect.objectContaining({ state: 'busy', reason: 'measuring request a' }),
    ]);
    run(2000);
    expect(result('a')).toBeDefined();
    expect(result('b')).toBeUndefined();
    ask({ request_id: 'c', kind: 'dcr', pmts: ['CsI01-B'], duration_s: 1 });
    expect(statuses('c')[0].state).toBe('accepted');
  });

  it('a bad request with a usable id is rejected with the reason; without one it is logged and counted', () => {
    const { daq, statuses, warnings, ask, sent } = setup();
    ask({ request_id: 'bad1', kind: 'led', pmts: ['CsI01-A'], duration_s: 1 });
    expect(statuses('bad1')).toEqual([
      expect.objectContaining({ state: 'rejected', reason: expect.stringMatching(/^kind: /) }),
    ]);
    ask({ request_id: 'bad2', kind: 'dcr', pmts: [], duration_s: 1 });
    expect(statuses('bad2')[0].reason).toMatch(/^pmts: /);
    ask({ request_id: 'bad3', kind: 'dcr', pmts: ['CsI01-A'], duration_s: -1 });
    expect(statuses('bad3')[0].reason).toMatch(/^duration_s: /);
    const before = sent.length;
    ask({ request_id: 'a/b#', kind: 'dcr', pmts: ['CsI01-A'], duration_s: 1 });
    daq.handle('{not json');
    daq.handle('null');
    daq.handle(Buffer.alloc(200_000, 0x20));
    expect(sent.length).toBe(before);
    expect(daq.counters).toMatchObject({ rejected: 3, invalid: 4, accepted: 0 });
    expect(warnings.slice(-4)).toEqual([
      expect.stringMatching(/without a usable request_id/),
      'measurement request refused: request is not JSON',
      expect.stringMatching(/without a usable request_id/),
      expect.stringMatching(/request of 200000 bytes/),
    ]);
  });

  it('dcr-jump x10 shows in a measurement request', () => {
    const { sim, faults, run, result, ask } = setup();
    const before = sim.expectedDcr('CsI08-B');
    faults.add({ type: 'dcr-jump', pmt: 'CsI08-B', factor: 10 });
    ask({ request_id: 'j', kind: 'dcr', pmts: ['CsI08-B'], duration_s: 2 });
    run(2100);
    const d = result('j')!.results['CsI08-B'] as DcrResult;
    expect(d.rate_hz / before).toBeGreaterThan(9.5);
    expect(d.rate_hz / before).toBeLessThan(10.5);
  });

  it('faults: daq-silent ignores, daq-busy answers busy, daq-wrong-pmt files results under a PMT not asked for', () => {
    const { daq, faults, run, sent, statuses, result, ask } = setup();
    const silent = faults.add({ type: 'daq-silent' });
    ask({ request_id: 's', kind: 'dcr', pmts: ['CsI01-A'], duration_s: 1 });
    run(2000);
    expect(sent).toEqual([]);
    expect(daq.counters.ignored).toBe(1);
    faults.remove(silent.id);
    const busy = faults.add({ type: 'daq-busy' });
    ask({ request_id: 'bz', kind: 'dcr', pmts: ['CsI01-A'], duration_s: 1 });
    expect(statuses('bz')).toEqual([expect.objectContaining({ state: 'busy' })]);
    run(2000);
    expect(result('bz')).toBeUndefined();
    faults.remove(busy.id);
    faults.add({ type: 'daq-wrong-pmt' });
    ask({ request_id: 'w', kind: 'spe-gain', pmts: ['CsI01-A', 'CsI01-B'], duration_s: 1 });
    run(1100);
    const keys = Object.keys(result('w')!.results);
    expect(keys).toHaveLength(2);
    for (const k of keys) expect(['CsI01-A', 'CsI01-B']).not.toContain(k);
  });

  it('SIM_DAQ_BUSY_WHEN_BEAM: busy while the beam is on, accepted with the beam off', () => {
    const { faults, statuses, ask } = setup({ daqBusyWhenBeam: true });
    ask({ request_id: 'b1', kind: 'dcr', pmts: ['CsI01-A'], duration_s: 1 });
    expect(statuses('b1')).toEqual([
      expect.objectContaining({ state: 'busy', reason: 'taking physics data: beam on' }),
    ]);
    faults.add({ type: 'beam-off' });
    ask({ request_id: 'b2', kind: 'dcr', pmts: ['CsI01-A'], duration_s: 1 });
    expect(statuses('b2')[0].state).toBe('accepted');
  });

  it('the same seed gives the same answers', () => {
    const answers = [0, 1].map(() => {
      const { run, result, ask } = setup({}, 77);
      ask({ request_id: 'x', kind: 'spe-gain', pmts: ['CsI03-A', 'PSV12-A'], duration_s: 3 });
      run(3000);
      const r = result('x')!;
      return { ...r, ts: 0 };
    });
    expect(answers[0].results).toEqual(answers[1].results);
  });
});
