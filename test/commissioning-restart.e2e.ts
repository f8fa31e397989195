/**
 * A commissioning run survives its service: SIGKILLed mid-scan, the service started again
 * continues the run without repeating finished steps or stored scan points; an abort ramps every
 * channel of the run off; approving publishes the records retained (the previous version kept),
 * rejecting publishes nothing, and both are in the run's report.
 */
import { Topics, type PmtRunView, type ProposalView, type RunView } from '@cicenns/contracts';
import {
  CONFIRMED,
  startCommissioningHarness,
  vsetWrites,
  type CommissioningHarness,
} from './support/commissioning-harness';
import { testClient } from './support/mqtt';
import { readServerState, waitFor } from './support/servers';

jest.setTimeout(400_000);

const servers = readServerState();
const CM = Topics.commissioning;

const stepOf = (p: PmtRunView, kind: string) => p.steps.find((s) => s.kind === kind)!;

describe('commissioning: crash, abort, approval', () => {
  let h: CommissioningHarness;
  let finished: RunView;

  beforeAll(async () => {
    h = await startCommissioningHarness({ mqttUrl: servers.mqttUrl, tag: 'commr' });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('a run whose service is SIGKILLed mid-scan resumes and finishes; finished steps and stored points are not repeated', async () => {
    const started: RunView = await h.call(CM.cmd.start, {
      target: ['CsI07', 'PSV09'],
      confirmations: CONFIRMED,
      user: 'expert',
    });
    let before!: RunView;
    await waitFor(
      'every PMT two points into its DCR scan',
      async () => {
        before = await h.run(started.runId);
        return before.pmts.every((p) => (stepOf(p, 'dcr-scan').points?.length ?? 0) >= 2);
      },
      120_000,
    );
    await h.procs.get('commissioning')!.stop('SIGKILL');
    const again = await h.startCommissioning();
    expect(again.output).toMatch(new RegExp(`continuing ${started.runId}`));
    const view = await h.waitRun(started.runId, ['finished', 'aborted']);
    expect(view.state).toBe('finished');
    expect(view.pmts.map((p) => `${p.pmt} ${p.state}`)).toEqual([
      'CsI07-A passed',
      'CsI07-B passed',
      'PSV09-A passed',
      'PSV09-B passed',
    ]);
    const poller = h.procs.get('poller')!;
    for (const p of view.pmts) {
      const old = before.pmts.find((x) => x.pmt === p.pmt)!;
      // the steps that had passed before the kill are the same steps, not run again
      for (const s of old.steps.filter((x) => x.state === 'passed'))
        expect(p.steps.find((x) => x.id === s.id)).toMatchObject({
          state: 'passed',
          startedAt: s.startedAt,
          endedAt: s.endedAt,
          verdict: s.verdict,
        });
      // the low voltage was applied once; the stored scan points kept, the scan went on after them
      const low = p.group === 'crystal' ? 300 : 200;
      expect(vsetWrites(poller, p.pmt).filter((v) => v === low)).toHaveLength(1);
      const kept = stepOf(old, 'dcr-scan').points!;
      expect(stepOf(p, 'dcr-scan').points!.slice(0, kept.length)).toEqual(kept);
      expect(stepOf(p, 'dcr-scan').points).toHaveLength(5);
      expect(p.proposal).toMatchObject({ state: 'proposed', version: 2 });
    }
    finished = view;
  });

  it('approving publishes the records retained and keeps the previous version; rejecting publishes nothing', async () => {
    expect(finished).toBeDefined();
    const runId = finished.runId;
    const approved: ProposalView[] = await h.call(CM.cmd.approve, {
      runId,
      pmts: ['CsI07-A', 'CsI07-B'],
      user: 'expert',
      comment: 'matched pair, fits good',
    });
    expect(approved.map((p) => `${p.pmt} ${p.state} v${p.version} ${p.decidedBy}`)).toEqual([
      'CsI07-A approved v2 expert',
      'CsI07-B approved v2 expert',
    ]);
    const rejected: ProposalView[] = await h.call(CM.cmd.reject, {
      runId,
      user: 'expert',
      comment: 'redo the panel',
    });
    expect(rejected.map((p) => `${p.pmt} ${p.state}`)).toEqual(['PSV09-A rejected', 'PSV09-B rejected']);
    await expect(h.call(CM.cmd.approve, { runId, user: 'expert' })).rejects.toThrow(/no open proposal/);

    const c = await testClient(servers.mqttUrl);
    const seen = new Map<string, { record: Record<string, unknown> }>();
    // this run's PMTs only: other test files on the shared broker leave their own approvals retained
    const ours = new Set(
      ['CsI07-A', 'CsI07-B', 'PSV09-A', 'PSV09-B'].map((p) => Topics.calibration.record(p)),
    );
    c.on('message', (topic, payload, packet) => {
      if (packet.retain && payload.length && ours.has(topic)) seen.set(topic, JSON.parse(payload.toString()));
    });
    await c.subscribeAsync(Topics.calibration.all, { qos: 1 });
    await waitFor('the two approved records, retained', async () => seen.size >= 2, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    await c.endAsync();
    expect([...seen.keys()].sort()).toEqual([
      'cicenns/sc/calibration/CsI07-A',
      'cicenns/sc/calibration/CsI07-B',
    ]);
    const record = seen.get('cicenns/sc/calibration/CsI07-A')!.record;
    expect(record).toMatchObject({
      pmt: 'CsI07-A',
      version: 2,
      method: 'commissioning',
      approvedBy: 'expert',
      run: runId,
    });
    expect(Date.now() - Date.parse(record.validFrom as string)).toBeLessThan(60_000);

    const [history] = await h.call(CM.query.calibration, { pmt: 'CsI07-A' });
    expect(
      history.records.map((r: { version: number; method: string }) => `v${r.version} ${r.method}`),
    ).toEqual(['v1 datasheet', 'v2 commissioning']);
    expect(history.current.version).toBe(2);
    const md = await h.call(CM.query.report, { runId, format: 'md' });
    expect(md.content).toContain('matched pair, fits good');
    expect(md.content).toContain('redo the panel');
    const html = await h.call(CM.query.report, { runId, format: 'html' });
    expect(html.content).toMatch(/^<!DOCTYPE html>/i);
  });

  it('an abort stops the run and leaves every channel of it off', async () => {
    const started: RunView = await h.call(CM.cmd.start, {
      target: ['CsI08', 'PSV10'],
      confirmations: CONFIRMED,
      user: 'expert',
    });
    await waitFor(
      'the scans under way',
      async () =>
        (await h.run(started.runId)).pmts.every((p) => (stepOf(p, 'dcr-scan').points?.length ?? 0) >= 1),
      120_000,
    );
    const truthBefore = await h.truth();
    expect(started.pmts.some((p) => truthBefore.hv[p.pmt].vmon > 500)).toBe(true);
    const reply: RunView = await h.call(CM.cmd.abort, { runId: started.runId, user: 'shift-expert' });
    expect(reply.reason).toMatch(/aborting \(by shift-expert\)/);
    const view = await h.waitRun(started.runId, ['aborted', 'finished'], 60_000);
    expect(view).toMatchObject({
      state: 'aborted',
      reason: 'aborted by shift-expert; every channel of the run switched off',
    });
    expect(view.counts.aborted).toBe(4);
    const truth = await h.truth();
    for (const p of view.pmts)
      expect({ pmt: p.pmt, power: truth.hv[p.pmt].power, low: truth.hv[p.pmt].vmon < 5 }).toEqual({
        pmt: p.pmt,
        power: 0,
        low: true,
      });
    await expect(h.call(CM.cmd.resume, { runId: started.runId, user: 'expert' })).rejects.toThrow(
      /is aborted/,
    );
  });
});
