/**
 * Commissioning on real processes (simulator with true tubes, poller, commissioning service,
 * mosquitto): a crystal and a panel, then all 94 PMTs in one run, checked against the
 * simulator's truth. Times are short (test/support/commissioning-harness.ts); the wall time of
 * the 94-PMT run and its longest step chain are printed for docs/PERFORMANCE.md.
 */
import { Topics, type PmtRunView, type RunView } from '@cicenns/contracts';
import {
  CONFIRMED,
  startCommissioningHarness,
  type CommissioningHarness,
} from './support/commissioning-harness';
import { readServerState } from './support/servers';

jest.setTimeout(600_000);

const servers = readServerState();
const START = Topics.commissioning.cmd.start;
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
    const reports = await h.call(Topics.commissioning.query.reports, { runId: started.runId });
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
    // pulls (fit - truth) / error: with honest errors N(0, 1)
    const pulls: { pmt: string; beta: number; g0: number; vOp?: number }[] = [];
    // relative deviations from the truth (fit / truth - 1): the bias and spread of the fits
    const dev: Record<'beta' | 'g0' | 'vOp', number[]> = { beta: [], g0: [], vOp: [] };
    for (const p of view.pmts) {
      const fit = p.steps.find((s) => s.kind === 'gain-curve')?.fit;
      if (!fit) continue;
      const t = truth.tubes[p.pmt];
      const tempC = Number(
        (p.proposal?.record as { dcrRefTempC?: number } | undefined)?.dcrRefTempC ?? t.dcrRefTempC,
      );
      // the gain the tube has at the fit's v0, at the temperature it was measured at
      const g0True = t.g0 * (fit.v0 / t.v0) ** t.beta * (1 + t.gainTempCoeffPerC * (tempC - t.dcrRefTempC));
      const pull = {
        pmt: p.pmt,
        beta: (fit.beta - t.beta) / fit.betaErr,
        g0: Math.log(fit.g0 / g0True) / (fit.g0Err / fit.g0),
      };
      // the operating voltage: the true voltage of the target gain against vOp ± its error
      const vTrue = fit.v0 * (fit.targetGain / g0True) ** (1 / t.beta);
      pulls.push(fit.vOp === null ? pull : { ...pull, vOp: (fit.vOp - vTrue) / fit.vOpErr! });
      dev.beta.push(fit.beta / t.beta - 1);
      dev.g0.push(fit.g0 / g0True - 1);
      if (fit.vOp !== null) dev.vOp.push(fit.vOp / vTrue - 1);
    }
    const meanSd = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return { m, sd: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1)) };
    };
    const biasSpread = (k: 'beta' | 'g0' | 'vOp') => {
      const d = meanSd(dev[k]);
      const p = meanSd(pulls.filter((x) => x[k] !== undefined).map((x) => x[k]!));
      return `${k} bias ${(d.m * 100).toFixed(2)} % spread ${(d.sd * 100).toFixed(2)} % (pull ${p.m.toFixed(2)} ± ${p.sd.toFixed(2)})`;
    };
    const share = (k: 'beta' | 'g0' | 'vOp', n: number) => {
      const list = pulls.filter((x) => x[k] !== undefined);
      return list.filter((x) => Math.abs(x[k]!) <= n).length / list.length;
    };
    const chain = longestChain(view);
    const soloChainS = soloChain(view);
    process.stdout.write(
      `commissioning e2e: 94 PMTs in ${wallS.toFixed(1)} s wall; the longest chain of one PMT in the run ` +
        `${chain.seconds.toFixed(1)} s (${chain.pmt}); passed ${view.counts.passed}, failed ${view.counts.failed}; ` +
        `fitted ${pulls.length}; within 2 sigma: beta ${pct(share('beta', 2))}, G0 ${pct(share('g0', 2))}, ` +
        `vOp ${pct(share('vOp', 2))}; within 3 sigma: beta ${pct(share('beta', 3))}, G0 ${pct(share('g0', 3))}, ` +
        `vOp ${pct(share('vOp', 3))}; ${biasSpread('beta')}, ${biasSpread('g0')}, ${biasSpread('vOp')}; mean step times ${stepTimes(view)} (sum ${soloChainS.toFixed(1)} s)\n` +
        view.pmts
          .filter((p) => p.state !== 'passed')
          .map(describeFailure)
          .join('\n') +
        '\n',
    );
    expect(pulls.length).toBeGreaterThanOrEqual(90);
    // honest errors put 95.4 % within 2 sigma on average (the runs of docs/PERFORMANCE.md:
    // 89-99 %); over ~90 tubes the share scatters by ~2 %, so the test asks 85 % (errors
    // underestimated by a third would give ~82 %; a Monte Carlo of the simulator's model and the
    // real fit: below 85 % in 1e-4 runs) and no pull beyond 6 sigma. Not 4: the 2 s gain points of
    // a veto tube scatter by 6-9 %, ln(1 + x) gives the pulls a heavier low tail, and of ~280
    // pulls one lay beyond 4 sigma in 2.8 % of the Monte Carlo's runs (one beyond 5 in 1e-3,
    // beyond 6 in 8e-5; a run of docs/PERFORMANCE.md failed on a G0 beyond 4)
    const outliers = pulls.filter((x) => [x.beta, x.g0, x.vOp ?? 0].some((v) => Math.abs(v) > 2));
    process.stdout.write(
      `beyond 2 sigma: ${outliers.map((x) => `${x.pmt} (beta ${x.beta.toFixed(1)}, G0 ${x.g0.toFixed(1)}, vOp ${x.vOp?.toFixed(1)})`).join(', ')}\n`,
    );
    for (const k of ['beta', 'g0', 'vOp'] as const) {
      expect({ k, share: share(k, 2) >= 0.85 }).toEqual({ k, share: true });
      expect({ k, share: share(k, 6) }).toEqual({ k, share: 1 });
    }
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

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** the sum of the mean step durations: one PMT's chain without waiting for others */
function soloChain(view: RunView): number {
  let sum = 0;
  for (const id of view.pmts[0].steps.map((s) => s.id)) {
    const d = view.pmts
      .map((p) => p.steps.find((s) => s.id === id)!)
      .filter((s) => s.startedAt && s.endedAt)
      .map((s) => (s.endedAt! - s.startedAt!) / 1000);
    sum += d.reduce((a, b) => a + b, 0) / Math.max(1, d.length);
  }
  return sum;
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
