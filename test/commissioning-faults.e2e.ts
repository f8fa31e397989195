/**
 * Commissioning against a faulty detector and bad input, on real processes (simulator with true
 * tubes and faults, poller, commissioning service): each fault fails at its step with the value
 * and the limit, and no voltage beyond the failing step reaches the crate (the poller's HV log is
 * the crate's audit); a procedures file with a voltage above vmax or a wrong field stops the
 * service at start-up; a target no voltage can reach, a silent DAQ and a DAQ answering for
 * another PMT each fail clearly with the channel switched off.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Topics, type PmtRunView, type RunView } from '@cicenns/contracts';
import {
  CONFIRMED,
  startCommissioningHarness,
  vsetWrites,
  type CommissioningHarness,
} from './support/commissioning-harness';
import { ServiceProcess } from './support/processes';
import { readServerState } from './support/servers';

jest.setTimeout(300_000);

const servers = readServerState();
const START = Topics.commissioning.cmd.start;

const stepOf = (p: PmtRunView, id: string) => p.steps.find((s) => s.id === id)!;
/** a PMT's state, failed step and verdict, for a readable failure */
const summary = (p: PmtRunView) => {
  const s = p.steps.find((x) => x.state === 'failed');
  return `${p.pmt} ${p.state}${s ? ` at ${s.id}: ${s.verdict}` : ''}`;
};

describe('commissioning: faults fail at the right step, nothing applied beyond it', () => {
  let h: CommissioningHarness;

  beforeAll(async () => {
    h = await startCommissioningHarness({
      mqttUrl: servers.mqttUrl,
      tag: 'commf',
      procedures: (doc) => {
        // a second procedure whose veto target gain no voltage up to vmax 1100 V reaches
        const unreachable = structuredClone(doc.procedures[0]);
        unreachable.id = 'unreachable';
        unreachable.steps.find((s: { id: string }) => s.id === 'gain-curve').byType.N2041.targetGain = 1e9;
        doc.procedures.push(unreachable);
        // six rounds of the hold: a wandering gain shows beyond the measurements' own errors; the
        // limits 5 % / 15 % of the wander's Monte Carlo (the harness widens them for good tubes)
        const stability = doc.procedures[0].steps.find((s: { id: string }) => s.id === 'stability');
        Object.assign(stability.params, { minRounds: 6, maxGainChangePct: 5, maxDcrChangePct: 15 });
      },
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('a shorted divider, an open divider, a 10x DCR and a wandering gain each fail at their step', async () => {
    await h.fault({ type: 'divider-short', pmt: 'CsI02-A', factor: 0.3 });
    await h.fault({ type: 'divider-open', pmt: 'CsI04-B' });
    await h.fault({ type: 'dcr-jump', pmt: 'PSV02-A', factor: 10 });
    const started: RunView = await h.call(START, {
      target: ['CsI02-A', 'CsI04-B', 'PSV02-A', 'CsI06-A'],
      confirmations: CONFIRMED,
      user: 'expert',
    });
    // the tube wanders only once its gain curve is done: the hold must see it
    for (let until = Date.now() + 180_000; ;) {
      const p = (await h.run(started.runId)).pmts.find((x) => x.pmt === 'CsI06-A')!;
      if (stepOf(p, 'gain-curve').state === 'passed') break;
      if (p.state === 'failed' || Date.now() > until) {
        await h.clearFaults();
        throw new Error(`CsI06-A did not pass its gain curve: ${summary(p)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    // A wander slow against the 3 s gain window: one of 4 s averaged to 30 % of its swing in each
    // measurement, and with its random part the hold passed about once in 50-250 runs (CI saw
    // it). 50 % over 16 s, six rounds: a Monte Carlo of the simulator's model gives under 1e-4.
    await h.fault({ type: 'gain-wander', pmt: 'CsI06-A', amplitudePct: 50, periodS: 16 });
    const view = await h.waitRun(started.runId, ['finished', 'aborted']);
    const byId = new Map(view.pmts.map((p) => [p.pmt, p]));
    const [short, open, dcr, wander] = ['CsI02-A', 'CsI04-B', 'PSV02-A', 'CsI06-A'].map((id) =>
      byId.get(id)!,
    );
    const poller = h.procs.get('poller')!;

    expect(short).toMatchObject({ state: 'failed', step: 'low-voltage' });
    expect(stepOf(short, 'low-voltage').verdict).toMatch(
      /^IMon [0-9.]+ uA is [0-9.]+ % above the divider line \(shorted divider\?\) at 300 V \(VMon [0-9.]+ V\): expected [0-9.]+ uA ± 15 %/,
    );
    expect(open).toMatchObject({ state: 'failed', step: 'low-voltage' });
    expect(stepOf(open, 'low-voltage').verdict).toMatch(
      /% below the divider line \(open divider\?\) at 300 V/,
    );
    for (const p of [short, open]) {
      expect(vsetWrites(poller, p.pmt)).toEqual([300, 0]);
      expect(p.steps.slice(2).map((s) => s.state)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    }

    expect(dcr).toMatchObject({ state: 'failed', step: 'dcr-scan' });
    // 10x the tube's DCR: above the limit at the first voltage, or (a quiet tube) soon after
    const m = /^DCR [0-9.e]+ Hz at (\d+) V is above the limit maxRateHz 1500 Hz/.exec(
      stepOf(dcr, 'dcr-scan').verdict!,
    );
    expect(m).not.toBeNull();
    const failedAt = Number(m![1]);
    expect(stepOf(dcr, 'dcr-scan').points!.at(-1)!.v).toBe(failedAt);
    expect(vsetWrites(poller, 'PSV02-A')).toEqual([
      200,
      ...[800, 860, 920, 980, 1040].filter((v) => v <= failedAt),
      0,
    ]);

    expect(wander).toMatchObject({ state: 'failed', step: 'stability' });
    expect(stepOf(wander, 'stability').verdict).toMatch(
      /^gain wandered [0-9.]+ % from its mean .* \(limit 5 %\)/,
    );
    const vOp = stepOf(wander, 'gain-curve').fit!.vOp!;
    const scan = [1250, 1310, 1370, 1430, 1490];
    expect(vsetWrites(poller, 'CsI06-A')).toEqual([300, ...scan, ...scan, Math.round(vOp * 10) / 10, 0]);

    const truth = await h.truth();
    for (const p of view.pmts)
      expect({ pmt: p.pmt, power: truth.hv[p.pmt].power }).toEqual({ pmt: p.pmt, power: 0 });
    expect(view.pmts.every((p) => p.proposal === undefined)).toBe(true);
    await h.clearFaults();
  });

  it('a target gain no voltage within vmax reaches fails the gain curve naming the voltage and the limit', async () => {
    const started: RunView = await h.call(START, {
      target: 'PSV05-A',
      procedure: 'unreachable',
      confirmations: CONFIRMED,
      user: 'expert',
    });
    const view = await h.waitRun(started.runId, ['finished', 'aborted']);
    const p = view.pmts[0];
    expect(summary(p)).toMatch(/^PSV05-A failed at gain-curve: /);
    expect(stepOf(p, 'gain-curve').verdict).toMatch(
      /target gain 1\.?0*e9 needs [0-9]+ ± [0-9.]+ V, above the channel's vmax 1100 V/,
    );
    expect(Math.max(...vsetWrites(h.procs.get('poller')!, 'PSV05-A'))).toBe(1040);
    expect((await h.truth()).hv['PSV05-A'].power).toBe(0);
  });

  it.each([
    ['daq-silent', /dcr measurement of 1 s failed: the DAQ did not answer request .* within/],
    [
      'daq-wrong-pmt',
      /dcr measurement of 1 s failed: the DAQ's result for request .* has nothing for PSV0[67]-A/,
    ],
  ])(
    'a DAQ fault %s fails the scan at its first voltage with the reason; the channel goes off',
    async (fault, reason) => {
      const pmt = fault === 'daq-silent' ? 'PSV06-A' : 'PSV07-A';
      await h.fault({ type: fault });
      try {
        const started: RunView = await h.call(START, {
          target: pmt,
          confirmations: CONFIRMED,
          user: 'expert',
        });
        const view = await h.waitRun(started.runId, ['finished', 'aborted'], 120_000);
        const p = view.pmts[0];
        expect(p).toMatchObject({ state: 'failed', step: 'dcr-scan' });
        expect(stepOf(p, 'dcr-scan').verdict).toMatch(reason);
        expect(vsetWrites(h.procs.get('poller')!, pmt)).toEqual([200, 800, 0]);
        expect((await h.truth()).hv[pmt].power).toBe(0);
      } finally {
        await h.clearFaults();
      }
    },
  );

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the YAML document, changed freely
  type Doc = any;
  it.each([
    [
      'a scan above vmax',
      (doc: Doc) => doc.procedures[0].steps[2].byType.N2041.voltages.push(1150),
      /1150 V is above the vmax 1100 V of PSV01-A/,
    ],
    [
      'a wrong field',
      (doc: Doc) => (doc.procedures[0].steps[1].params.settle = 5),
      /procedures\[0\]\.steps\[1\]\.params.*settle/,
    ],
  ])(
    'a procedures file with %s stops the service at start-up, naming file and path; nothing applied',
    async (_what, change, message) => {
      const doc = parse(readFileSync(join(h.dir, 'commissioning.yaml'), 'utf8'));
      change(doc);
      const bad = join(h.dir, `bad-${Date.now()}.yaml`);
      writeFileSync(bad, stringify(doc));
      const cfg = parse(readFileSync(h.configFile, 'utf8'));
      cfg.files.procedures = bad;
      cfg.mqtt.clientIdPrefix = `${cfg.mqtt.clientIdPrefix}-bad`;
      cfg.commissioning.storePath = join(h.dir, 'bad.db');
      const cfgFile = join(h.dir, `bad-${Date.now()}.cicenns.yaml`);
      writeFileSync(cfgFile, stringify(cfg));
      const writesBefore = (h.procs.get('poller')!.output.match(/hv \S+ vset=/g) ?? []).length;
      const p = new ServiceProcess('commissioning', { CICENNS_CONFIG: cfgFile }).start();
      const code = await new Promise<number | null>((r) => p.child!.once('exit', (c) => r(c)));
      expect(code).toBe(2);
      expect(p.output).toMatch(/configuration error: /);
      expect(p.output).toContain(bad);
      expect(p.output).toMatch(message);
      expect((h.procs.get('poller')!.output.match(/hv \S+ vset=/g) ?? []).length).toBe(writesBefore);
    },
  );
});
