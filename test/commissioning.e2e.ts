/**
 * Commissioning on real processes (simulator with true tubes, poller, commissioning service,
 * mosquitto): a crystal and a panel, then all 94 PMTs in one run, checked against the
 * simulator's truth. Times are short (test/support/commissioning-harness.ts); the wall time of
 * the 94-PMT run and its longest step chain are printed for docs/PERFORMANCE.md.
 */
import { copyFileSync } from 'node:fs';
import type { PmtRunView, RunView } from '@cicenns/contracts';
import { startCommissioningHarness, type CommissioningHarness } from './support/commissioning-harness';
import { readServerState } from './support/servers';

jest.setTimeout(600_000);

const servers = readServerState();
const START = 'cicenns/sc/commissioning/cmd/start';
const CONFIRMED = [
  { item: 'cables-checked', by: 'Ada Lovelace' },
  { item: 'light-tight', by: 'Ada Lovelace' },
];
type Tube = { g0: number; v0: number; beta: number; gainTempCoeffPerC: number; dcrRefTempC: number };

describe('commissioning against the simulator', () => {
  let h: CommissioningHarness;

  beforeAll(async () => {
    h = await startCommissioningHarness({ mqttUrl: servers.mqttUrl, tag: 'comm' });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('commissions a crystal (gain-matched) and a veto panel, proposes their records, leaves the channels off', async () => {
    const started: RunView = await h.call(START, {
      target: ['CsI01', 'PSV01'],
      confirmations: CONFIRMED,
      user: 'expert',
      origin: 'e2e',
    });
    expect(started).toMatchObject({ state: 'running', startedBy: 'expert', pendingConfirmations: [] });
    expect(started.pmts.map((p) => p.pmt)).toEqual(['CsI01-A', 'CsI01-B', 'PSV01-A', 'PSV01-B']);
    const view = await h.waitRun(started.runId, ['finished', 'aborted']);
    expect(view.state).toBe('finished');
    const failed = view.pmts.filter((p) => p.state !== 'passed').map(describeFailure);
    expect(failed).toEqual([]);
    for (const p of view.pmts) expect(p.proposal).toMatchObject({ state: 'proposed', version: 2 });
    const gain = view.pmts[0].steps.find((s) => s.kind === 'gain-curve')!;
    expect(gain.checks).toContainEqual(
      expect.objectContaining({ name: 'gain matched with CsI01-B', pass: true }),
    );
    const truth = await h.truth();
    for (const p of view.pmts) expect(truth.hv[p.pmt].power).toBe(0);
    process.stdout.write(`commissioning e2e, 4 PMTs: ${stepTimes(view)}\n`);
    if (process.env.E2E_DEBUG) {
      copyFileSync(`${h.dir}/commissioning.db`, '/tmp/comm-debug.db');
      try {
        copyFileSync(`${h.dir}/commissioning.db-wal`, '/tmp/comm-debug.db-wal');
      } catch {
        /* checkpointed */
      }
    }
    const reports = await h.call('cicenns/sc/commissioning/query/reports', { runId: started.runId });
    expect(reports.map((r: { format: string }) => r.format).sort()).toEqual(['html', 'md']);
  });

  it('commissions all 94 PMTs in one run: fits contain the truth, every vOp gives the target gain', async () => {
    const t0 = Date.now();
    const started: RunView = await h.call(START, { target: 'all', confirmations: CONFIRMED, user: 'expert' });
    expect(started.pmts).toHaveLength(94);
    const view = await h.waitRun(started.runId, ['finished', 'aborted'], 540_000);
    const wallS = (Date.now() - t0) / 1000;
    expect(view.state).toBe('finished');
    const truth = (await h.truth()) as { tubes: Record<string, Tube> };
    const within = { beta: 0, g0: 0, fitted: 0 };
    const pulls: string[] = [];
    for (const p of view.pmts) {
      const fit = p.steps.find((s) => s.kind === 'gain-curve')?.fit;
      if (!fit) continue;
      within.fitted++;
      const t = truth.tubes[p.pmt];
      const tempC = Number(
        (p.proposal?.record as { dcrRefTempC?: number } | undefined)?.dcrRefTempC ?? t.dcrRefTempC,
      );
      // the gain the tube has at v0 at the temperature it was measured at
      const g0True = t.g0 * (fit.v0 / t.v0) ** t.beta * (1 + t.gainTempCoeffPerC * (tempC - t.dcrRefTempC));
      const betaPull = (fit.beta - t.beta) / fit.betaErr;
      const g0Pull = Math.log(fit.g0 / g0True) / (fit.g0Err / fit.g0);
      if (Math.abs(betaPull) <= 2) within.beta++;
      if (Math.abs(g0Pull) <= 2) within.g0++;
      pulls.push(`${p.pmt} beta ${betaPull.toFixed(2)} g0 ${g0Pull.toFixed(2)}`);
      if (fit.vOp !== null) {
        // the true gain at the operating voltage is the target within the vOp's error
        const gTrue = (v: number) => g0True * (v / fit.v0) ** t.beta;
        const lo = gTrue(fit.vOp - 2 * fit.vOpErr!);
        const hi = gTrue(fit.vOp + 2 * fit.vOpErr!);
        expect({ pmt: p.pmt, ok: lo <= fit.targetGain && fit.targetGain <= hi }).toEqual({
          pmt: p.pmt,
          ok: true,
        });
      }
    }
    const chain = longestChain(view);
    process.stdout.write(
      `commissioning e2e: 94 PMTs in ${wallS.toFixed(1)} s wall; longest step chain of one PMT ` +
        `${chain.seconds.toFixed(1)} s (${chain.pmt}); passed ${view.counts.passed}, failed ${view.counts.failed}; ` +
        `fitted ${within.fitted}, beta within 2 sigma ${within.beta}, G0 ${within.g0}; ${stepTimes(view)}\n` +
        view.pmts
          .filter((p) => p.state !== 'passed')
          .map(describeFailure)
          .join('\n') +
        '\n',
    );
    expect(within.fitted).toBeGreaterThanOrEqual(90);
    expect(within.beta / within.fitted).toBeGreaterThanOrEqual(0.95);
    expect(within.g0 / within.fitted).toBeGreaterThanOrEqual(0.95);
    // crystal pairs: matched, or the reason why not on both tubes
    for (const c of view.pmts.filter((p) => p.group === 'crystal')) {
      const gain = c.steps.find((s) => s.kind === 'gain-curve')!;
      const match = gain.checks?.find((k) => k.name.startsWith('gain matched with'));
      if (gain.state === 'passed') expect(match).toMatchObject({ pass: true });
      else if (match && !match.pass) expect(gain.verdict).toMatch(/not gain-matched with CsI\d\d-[AB]: /);
    }
    const truthNow = (await h.truth()) as { hv: Record<string, { power: number }> };
    for (const p of view.pmts)
      expect({ pmt: p.pmt, power: truthNow.hv[p.pmt].power }).toEqual({ pmt: p.pmt, power: 0 });
  });
});

function describeFailure(p: PmtRunView): string {
  const s = p.steps.find((x) => x.state === 'failed' || x.state === 'aborted');
  return `${p.pmt} ${p.state} at ${s?.id}: ${s?.verdict}`;
}

/** each step's mean duration over the run's PMTs, in s */
function stepTimes(view: RunView): string {
  const ids = view.pmts[0].steps.map((s) => s.id);
  return ids
    .map((id) => {
      const d = view.pmts
        .map((p) => p.steps.find((s) => s.id === id)!)
        .filter((s) => s.startedAt && s.endedAt)
        .map((s) => (s.endedAt! - s.startedAt!) / 1000);
      return `${id} ${(d.reduce((a, b) => a + b, 0) / Math.max(1, d.length)).toFixed(1)} s`;
    })
    .join(', ');
}

/** The PMT whose steps took longest from its first start to its last end. */
function longestChain(view: RunView): { pmt: string; seconds: number } {
  let best = { pmt: '', seconds: 0 };
  for (const p of view.pmts) {
    const starts = p.steps.map((s) => s.startedAt).filter((x): x is number => x !== undefined);
    const ends = p.steps.map((s) => s.endedAt).filter((x): x is number => x !== undefined);
    if (!starts.length || !ends.length) continue;
    const seconds = (Math.max(...ends) - Math.min(...starts)) / 1000;
    if (seconds > best.seconds) best = { pmt: p.pmt, seconds };
  }
  return best;
}
