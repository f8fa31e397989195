import { join } from 'node:path';
import {
  loadSystemConfig,
  resolveProcedures,
  type Detector,
  type Procedure,
  type ProceduresFile,
} from '@cicenns/model';
import {
  fakeTubes,
  FakeDaq,
  FakeHv,
  FakeState,
  type FakeTube,
} from '../../../../test/support/fakes/commissioning-hardware';
import { CalibrationBook } from '../calibration/calibration-book';
import { RunManager } from '../service/run-manager';
import { CommissioningStore } from '../store/commissioning-store';
import type { MqttClient } from 'mqtt';
import type { RunView } from '@cicenns/contracts';

const ROOT = join(__dirname, '..', '..', '..', '..');
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** the shipped procedure with short times (no settling waits) */
function testProcedures(detector: Detector, change?: (doc: ProceduresFile) => void): Procedure[] {
  const doc: ProceduresFile = {
    tubeTypes: { crystal: 'R877-100', veto: 'N2041' },
    procedures: [
      {
        id: 'short',
        title: 'short',
        maxParallel: 94,
        daq: {
          acceptTimeoutS: 1,
          resultMarginS: 1,
          whenBusy: 'wait',
          busyRetryS: 1,
          busyMaxWaitS: 10,
          retries: 0,
        },
        hv: { reachedToleranceV: 3, rampTimeFactor: 1.5, rampMarginS: 1, writeTimeoutS: 1 },
        steps: [
          {
            id: 'pre',
            kind: 'preconditions',
            params: { temperatureC: [15, 30], manual: ['cables-checked'] },
            byType: {},
          },
          {
            id: 'lv',
            kind: 'low-voltage',
            params: { imonTolerancePct: 15, settleS: 0 },
            byType: {
              'R877-100': { voltage: 300, dividerMOhm: 14 },
              N2041: { voltage: 200, dividerMOhm: 10 },
            },
          },
          {
            id: 'dcr',
            kind: 'dcr-scan',
            params: { windowS: 10, maxWindows: 6 },
            byType: {
              'R877-100': { voltages: [1250, 1300, 1350, 1400, 1450, 1500], maxRateHz: 15000, minRateHz: 50 },
              N2041: { voltages: [800, 850, 900, 950, 1000, 1050], maxRateHz: 1500, minRateHz: 5 },
            },
          },
          {
            id: 'gain',
            kind: 'gain-curve',
            params: { durationS: 60, maxVopErrV: 10 },
            byType: {
              'R877-100': { voltages: [1250, 1300, 1350, 1400, 1450, 1500], v0: 1400, targetGain: 3.6e6 },
              N2041: { voltages: [800, 850, 900, 950, 1000, 1050], v0: 900, targetGain: 1.4e7 },
            },
          },
          {
            id: 'hold',
            kind: 'stability',
            params: {
              holdS: 0.001,
              dcrWindowS: 10,
              gainDurationS: 60,
              maxGainChangePct: 2,
              maxDcrChangePct: 10,
            },
            byType: {},
          },
          {
            id: 'result',
            kind: 'result',
            params: { gainTempCoeffPerC: -0.003, dcrTempCoeffPerC: 0.05 },
            byType: {},
          },
        ],
      },
    ],
  };
  change?.(doc);
  return resolveProcedures('test.yaml', doc, detector);
}

interface Bench {
  detector: Detector;
  store: CommissioningStore;
  state: FakeState;
  hv: FakeHv;
  daq: FakeDaq;
  tubes: Map<string, FakeTube>;
  runs: RunManager;
  published: { topic: string; payload: string }[];
  reportsFor: string[];
}

function bench(
  o: {
    store?: CommissioningStore;
    procedures?: (d: Detector) => Procedure[];
    tubes?: Map<string, FakeTube>;
    transient?: boolean;
  } = {},
): Bench {
  const detector = loadSystemConfig(join(ROOT, 'config', 'cicenns.yaml')).detector;
  const store = o.store ?? new CommissioningStore(':memory:');
  const tubes = o.tubes ?? fakeTubes(detector);
  const state = new FakeState(detector);
  const hv = new FakeHv(state, detector, tubes);
  const daq = new FakeDaq(state, tubes);
  const published: { topic: string; payload: string }[] = [];
  const client = {
    publish: (topic: string, payload: string) => published.push({ topic, payload }),
  } as unknown as MqttClient;
  const book = new CalibrationBook(store, detector, client, quiet);
  const reportsFor: string[] = [];
  const runs = new RunManager({
    store,
    detector,
    procedures: (o.procedures ?? testProcedures)(detector),
    state,
    hardware: () => ({ hv, daq }),
    book,
    log: quiet,
    onRunChanged: (id) => reportsFor.push(id),
    ...(o.transient && {
      isTransient: (err: unknown) => /whether it was written is unknown/.test(String(err)),
    }),
  });
  return { detector, store, state, hv, daq, tubes, runs, published, reportsFor };
}

const confirmed = [{ item: 'cables-checked', by: 'Ada' }];

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function runToEnd(b: Bench, runId: string): Promise<RunView> {
  await until(`run ${runId} ends`, () => ['finished', 'aborted'].includes(b.runs.view(runId).state));
  return b.runs.view(runId);
}

describe('RunExecution: a run PMT by PMT through the procedure', () => {
  it('commissions a crystal (its two tubes gain-matched) and a veto tube, proposing a record of each', async () => {
    const b = bench();
    const start = b.runs.start({ target: ['CsI01', 'PSV01-A'], user: 'ada', confirmations: confirmed });
    expect(start.pmts.map((p) => p.pmt)).toEqual(['CsI01-A', 'CsI01-B', 'PSV01-A']);
    const view = await runToEnd(b, start.runId);
    expect(view.state).toBe('finished');
    expect(view.counts).toMatchObject({ passed: 3, failed: 0 });
    for (const pmt of view.pmts) {
      const truth = b.tubes.get(pmt.pmt)!;
      const gain = pmt.steps.find((s) => s.id === 'gain')!;
      expect(gain.fit!.beta).toBeCloseTo(truth.beta, 0);
      expect(gain.points).toHaveLength(6);
      expect(pmt.proposal).toMatchObject({ state: 'proposed', version: 2 });
      const record = pmt.proposal!.record as { hvV: number; method: string; by: string; note: string };
      const expectedV = truth.v0 * ((pmt.group === 'crystal' ? 3.6e6 : 1.4e7) / truth.g0) ** (1 / truth.beta);
      expect(Math.abs(record.hvV - expectedV)).toBeLessThan(10);
      expect(record).toMatchObject({
        method: 'commissioning',
        by: 'ada',
        note: expect.stringMatching(/not measured/),
      });
      // switched off at the end
      expect(b.state.channels.get(pmt.pmt)!.power).toBe(0);
    }
    const a = view.pmts[0].steps.find((s) => s.id === 'gain')!;
    expect(a.checks).toContainEqual(
      expect.objectContaining({ name: 'gain matched with CsI01-B', pass: true }),
    );
    expect(a.verdict).toMatch(/matched with CsI01-B/);
    const kinds = new Set(b.store.events(start.runId).map((e) => e.kind));
    for (const k of [
      'start',
      'confirm',
      'hv-set',
      'hv-reached',
      'daq-request',
      'daq-result',
      'proposal',
      'end',
    ])
      expect(kinds).toContain(k);
    expect(b.reportsFor).toContain(start.runId);
  });

  it('waits for the manual items, then runs once a named person confirms them', async () => {
    const b = bench();
    const start = b.runs.start({ target: 'PSV02-A', user: 'ada' });
    expect(start).toMatchObject({ state: 'waiting', pendingConfirmations: ['cables-checked'] });
    expect(start.reason).toMatch(/confirm: cables-checked/);
    await new Promise((r) => setTimeout(r, 30));
    expect(b.hv.log).toHaveLength(0);
    expect(() => b.runs.confirm({ runId: start.runId, items: ['light-tight'], user: 'bob' })).toThrow(
      /unknown manual item/,
    );
    b.runs.confirm({ runId: start.runId, items: ['cables-checked'], user: 'bob' });
    const view = await runToEnd(b, start.runId);
    expect(view.state).toBe('finished');
    expect(view.confirmations).toEqual([expect.objectContaining({ item: 'cables-checked', by: 'bob' })]);
    expect(view.pmts[0].steps[0].checks).toContainEqual(
      expect.objectContaining({ name: 'confirmed: cables-checked', value: 'bob' }),
    );
  });

  it('a shorted divider fails at the low-voltage step, naming IMon and the line; nothing above the low voltage', async () => {
    const tubes = fakeTubes(loadSystemConfig(join(ROOT, 'config', 'cicenns.yaml')).detector);
    tubes.get('CsI02-A')!.dividerMOhm = 4;
    const b = bench({ tubes });
    const start = b.runs.start({ target: 'CsI02-A', user: 'ada', confirmations: confirmed });
    const view = await runToEnd(b, start.runId);
    const pmt = view.pmts[0];
    expect(pmt).toMatchObject({ state: 'failed', step: 'lv' });
    expect(pmt.steps[1].verdict).toMatch(
      /IMon 75 uA is .* % above the divider line \(shorted divider\?\) at 300 V \(VMon 300 V\): expected 21\.43 uA ± 15 % \(limit 18\.21\.\.24\.64 uA\)/,
    );
    expect(pmt.steps.slice(2).map((s) => s.state)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(b.hv.maxVolts('CsI02-A')).toBe(300);
    expect(b.hv.log.at(-1)).toMatchObject({ pmt: 'CsI02-A', volts: 0 });
    expect(b.store.proposalsOfRun(start.runId)).toHaveLength(0);
  });

  it('a tube whose DCR is 10x fails at the first scan voltage; no higher voltage is applied', async () => {
    const tubes = fakeTubes(loadSystemConfig(join(ROOT, 'config', 'cicenns.yaml')).detector);
    tubes.get('CsI03-B')!.dcr0 = 29_000; // 10x the datasheet's 2.9 kHz
    const b = bench({ tubes });
    const start = b.runs.start({ target: 'CsI03-B', user: 'ada', confirmations: confirmed });
    const view = await runToEnd(b, start.runId);
    const scan = view.pmts[0].steps[2];
    expect(scan.state).toBe('failed');
    expect(scan.verdict).toMatch(/^DCR .* Hz at 1250 V is above the limit maxRateHz 15000 Hz/);
    expect(scan.points).toHaveLength(1);
    expect(b.hv.maxVolts('CsI03-B')).toBe(1250);
  });

  it('a wandering gain fails the stability step with the change and the limit', async () => {
    const tubes = fakeTubes(loadSystemConfig(join(ROOT, 'config', 'cicenns.yaml')).detector);
    // steady through the 6 points of the gain curve, swinging by ± 10 % from then on
    Object.assign(tubes.get('PSV05-A')!, { wander: { fraction: 0.1, after: 6 }, g0: 1.4e7 });
    const b = bench({ tubes });
    const start = b.runs.start({ target: 'PSV05-A', user: 'ada', confirmations: confirmed });
    const view = await runToEnd(b, start.runId);
    const pmt = view.pmts[0];
    expect(pmt).toMatchObject({ state: 'failed', step: 'hold' });
    expect(pmt.steps[4].verdict).toMatch(
      /^gain wandered \d.* % from its mean .* over 3 rounds \(limit 2 %\)/,
    );
    expect(pmt.steps[4].checks).toContainEqual(
      expect.objectContaining({ name: 'gain change over the hold', pass: false }),
    );
    expect(b.state.channels.get('PSV05-A')!.power).toBe(0);
  });

  it('a target gain that no voltage within vmax reaches fails the gain curve with the needed voltage', async () => {
    const b = bench({
      procedures: (d) =>
        testProcedures(d, (doc) => {
          doc.procedures[0].steps[3].byType.N2041.targetGain = 1e9;
        }),
    });
    const start = b.runs.start({ target: 'PSV03-B', user: 'ada', confirmations: confirmed });
    const view = await runToEnd(b, start.runId);
    const gain = view.pmts[0].steps[3];
    expect(gain.state).toBe('failed');
    expect(gain.verdict).toMatch(/1e9|1\.0e9|1\.00e9/);
    expect(gain.verdict).toMatch(/vmax 1100 V/);
    expect(b.hv.maxVolts('PSV03-B')).toBe(1050);
    expect(b.state.channels.get('PSV03-B')!.power).toBe(0);
  });

  it('a DAQ failure fails the step with its reason and switches the channel off', async () => {
    const b = bench();
    b.daq.failing.set('PSV04-A', "the DAQ's result for request r-1 has nothing for PSV04-A");
    const start = b.runs.start({ target: 'PSV04-A', user: 'ada', confirmations: confirmed });
    const view = await runToEnd(b, start.runId);
    expect(view.pmts[0].steps[2]).toMatchObject({
      state: 'failed',
      verdict: expect.stringMatching(
        /dcr measurement of 10 s failed: the DAQ's result .* nothing for PSV04-A/,
      ),
    });
    expect(b.hv.maxVolts('PSV04-A')).toBe(800);
    expect(b.state.channels.get('PSV04-A')!.power).toBe(0);
  });

  it('an HV path that does not answer (lost connection) is waited for and the voltage set again', async () => {
    const b = bench({ transient: true });
    b.hv.unanswered = 1;
    const start = b.runs.start({ target: 'PSV09-A', user: 'ada', confirmations: confirmed });
    const view = await runToEnd(b, start.runId);
    expect(view.pmts[0].state).toBe('passed');
    expect(b.store.events(start.runId, { kind: 'hv-retry' })).toEqual([
      expect.objectContaining({ pmt: 'PSV09-A', detail: expect.objectContaining({ volts: 200 }) }),
    ]);
    // without the transient rule the same silence fails the step
    const strict = bench();
    strict.hv.unanswered = 1;
    const s2 = strict.runs.start({ target: 'PSV09-A', user: 'ada', confirmations: confirmed });
    const v2 = await runToEnd(strict, s2.runId);
    expect(v2.pmts[0].steps[1].verdict).toMatch(/^setting 200 V failed: .*poller did not answer/);
  });

  it('refuses a start on an unknown target, a PMT of an active run, or a voltage above a PMT vmax', async () => {
    const b = bench();
    expect(() => b.runs.start({ target: ['CsI01', 'CsI99'], user: 'ada' })).toThrow(
      /target: unknown name CsI99/,
    );
    b.daq.silent.add('PSV06-A');
    const first = b.runs.start({ target: 'PSV06', user: 'ada', confirmations: confirmed });
    expect(() => b.runs.start({ target: 'PSV06-A', user: 'bob' })).toThrow(
      `PSV06-A is in active run ${first.runId}`,
    );
    // a PMT narrowing its own vmax below the procedure's voltages
    b.detector.pmt('CsI04-A')!.limits.vmax = 1400;
    expect(() => b.runs.start({ target: 'CsI04', user: 'ada' })).toThrow(
      /refused, nothing applied: CsI04-A: step dcr asks for 1450, 1500 V, above its vmax 1400 V/,
    );
    expect(b.hv.log.filter((l) => l.pmt.startsWith('CsI04'))).toHaveLength(0);
    b.runs.abort({ runId: first.runId, user: 'ada' });
    await runToEnd(b, first.runId);
  });

  it('abort stops every PMT and leaves every channel of the run off', async () => {
    const b = bench();
    b.daq.delayMs = 20;
    const start = b.runs.start({ target: 'veto', user: 'ada', confirmations: confirmed });
    await until('scans under way', () => b.daq.requests.length > 64);
    b.runs.abort({ runId: start.runId, user: 'carol' });
    const view = await runToEnd(b, start.runId);
    expect(view.state).toBe('aborted');
    expect(view.reason).toBe('aborted by carol; every channel of the run switched off');
    expect(view.counts.aborted).toBe(64);
    for (const p of view.pmts) expect(b.state.channels.get(p.pmt)!.power).toBe(0);
    expect(b.store.events(start.runId, { kind: 'hv-off' })).toHaveLength(64);
  });

  it('pause holds every PMT before its next HV change or measurement; resume goes on', async () => {
    const b = bench();
    b.daq.delayMs = 10;
    const start = b.runs.start({ target: 'PSV07', user: 'ada', confirmations: confirmed });
    await until('scan under way', () => b.daq.requests.length > 2);
    const paused = b.runs.pause({ runId: start.runId, user: 'ada' });
    expect(paused.state).toBe('paused');
    expect(paused.reason).toMatch(/channels keep their voltage/);
    await new Promise((r) => setTimeout(r, 50));
    const n = b.daq.requests.length + b.hv.log.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(b.daq.requests.length + b.hv.log.length).toBe(n);
    b.runs.resume({ runId: start.runId, user: 'ada' });
    expect((await runToEnd(b, start.runId)).state).toBe('finished');
  });

  it('a run continued by a new process repeats no finished step and no stored scan point', async () => {
    const store = new CommissioningStore(':memory:');
    const b1 = bench({ store });
    b1.daq.delayMs = 5;
    const start = b1.runs.start({ target: 'PSV08-A', user: 'ada', confirmations: confirmed });
    await until(
      'three scan points',
      () => (b1.runs.view(start.runId).pmts[0].steps[2].points?.length ?? 0) >= 3,
    );
    await b1.runs.stop(); // as if killed: the run stays "running" in the store
    const before = b1.runs.view(start.runId).pmts[0].steps;
    expect(store.run(start.runId)!.state).toBe('running');
    const b2 = bench({ store });
    expect(b2.runs.resumeStored()).toEqual([start.runId]);
    const view = await runToEnd(b2, start.runId);
    expect(view.state).toBe('finished');
    expect(view.pmts[0].state).toBe('passed');
    // the new process did not redo the preconditions or the low-voltage check, nor the stored points
    expect(b2.hv.log.some((l) => l.volts === 200)).toBe(false);
    const stored = before[2].points!.map((p) => p.v);
    for (const v of stored) expect(b2.daq.voltsOf('PSV08-A', 'dcr')).not.toContain(v);
    expect(view.pmts[0].steps[2].points).toHaveLength(6);
    expect(store.events(start.runId, { kind: 'resume-after-restart' })).toHaveLength(1);
  });

  it('approve publishes the record (validFrom = approval) and keeps the previous version; reject publishes nothing', async () => {
    const b = bench();
    const start = b.runs.start({ target: 'CsI05', user: 'ada', confirmations: confirmed });
    await runToEnd(b, start.runId);
    expect(() => b.runs.decide({ runId: start.runId, pmts: ['CsI06-A'], user: 'eve' }, 'approved')).toThrow(
      /no open proposal of CsI06-A/,
    );
    const [approved] = b.runs.decide(
      { runId: start.runId, pmts: ['CsI05-A'], user: 'eve', comment: 'ok' },
      'approved',
    );
    expect(approved).toMatchObject({
      state: 'approved',
      decidedBy: 'eve',
      comment: 'ok',
      previous: { version: 1 },
    });
    expect(approved.record).toMatchObject({ approvedBy: 'eve', version: 2 });
    expect(b.published).toEqual([expect.objectContaining({ topic: 'cicenns/sc/calibration/CsI05-A' })]);
    expect(b.detector.currentCalibration('CsI05-A')!.version).toBe(2);
    expect(b.detector.calibrationHistory('CsI05-A').map((r) => r.version)).toEqual([1, 2]);
    const [rejected] = b.runs.decide({ runId: start.runId, user: 'eve', comment: 'noisy' }, 'rejected');
    expect(rejected).toMatchObject({ pmt: 'CsI05-B', state: 'rejected', comment: 'noisy' });
    expect(b.published).toHaveLength(1);
    expect(() => b.runs.decide({ runId: start.runId, user: 'eve' }, 'approved')).toThrow(/no open proposal/);
    // a second run proposes the next version
    const again = b.runs.start({ target: 'CsI05-B', user: 'ada', confirmations: confirmed });
    const view = await runToEnd(b, again.runId);
    expect(view.pmts[0].proposal!.version).toBe(3);
  });
});
