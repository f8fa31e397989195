import type { GainFit, ScanPoint, StepCheck } from '@cicenns/contracts';
import type { StepParams } from '@cicenns/model';
import { describeUnreachable, fitGainCurve, gainAt } from '../../analysis/gain-fit';
import { gainMatch } from '../../analysis/gain-match';
import { fmt, StepFailed, type PairOutcome, type StepEnv, type StepOutcome } from '../step-env';

/** The record's HV setpoint: the operating voltage to 0.1 V. */
export function setpointOf(vOp: number): number {
  return Math.round(vOp * 10) / 10;
}

/** 1-sigma error of the fitted gain at v, from the fit's covariance (ln G0, beta). */
export function gainErrAt(fit: GainFit, v: number): number {
  const sa = fit.g0Err / fit.g0;
  const x = Math.log(v / fit.v0);
  const varLn = sa * sa + x * x * fit.betaErr * fit.betaErr + 2 * x * fit.corr * sa * fit.betaErr;
  return gainAt(fit, v) * Math.sqrt(Math.max(0, varLn));
}

/**
 * SPE gain at each voltage, then G = G0 (V/V0)^beta fitted, with the voltage of the target gain
 * (within 0..vmax of the channel). For a crystal whose two tubes are both in the run, the tubes
 * wait for each other here and are gain-matched at their operating points.
 */
export async function gainCurve(env: StepEnv<StepParams<'gain-curve'>>): Promise<StepOutcome> {
  const p = env.params;
  const voltages = [...p.voltages].sort((a, b) => a - b);
  const points: ScanPoint[] = (env.progress.points ??= []);
  for (const v of voltages) {
    if (points.some((pt) => pt.v === v)) continue;
    await env.setVoltage(v);
    await env.sleep(p.settleS * 1000);
    const g = await env.measureGain(p.durationS);
    env.live(`SPE gain at ${v} V`, g.gain, '');
    points.push({ v, gain: g.gain, gainErr: g.gain_err, nSpe: g.n_spe });
    points.sort((a, b) => a.v - b.v);
    env.progress.progress = (0.95 * points.length) / voltages.length;
    env.save();
  }
  const limits = { min: 0, max: env.pmt.limits.vmax };
  const partner = partnerInRun(env);
  let fit;
  try {
    fit = fitGainCurve(
      points.map((pt) => ({ v: pt.v, gain: pt.gain!, gainErr: pt.gainErr! })),
      p.v0,
      p.targetGain,
      limits,
    );
  } catch (err) {
    const why = `gain fit impossible: ${(err as Error).message}`;
    env.pairs.post({ pmt: env.pmt.id, failed: why });
    throw new StepFailed(why);
  }
  const { residuals, ...gainFit } = fit;
  points.forEach((pt, i) => (pt.residual = residuals[i]));
  env.progress.fit = gainFit;
  const chi2PerDof = fit.dof > 0 ? fit.chi2 / fit.dof : 0;
  const checks: StepCheck[] = [
    {
      name: 'beta',
      value: round(fit.beta, 3),
      limit: `${p.betaRange[0]}..${p.betaRange[1]}`,
      pass: fit.beta >= p.betaRange[0] && fit.beta <= p.betaRange[1],
    },
    {
      name: 'chi2/dof',
      value: round(chi2PerDof, 3),
      limit: `<= ${p.maxChi2PerDof}`,
      pass: chi2PerDof <= p.maxChi2PerDof,
    },
    {
      name: `operating voltage for gain ${fmt(p.targetGain)}`,
      value: fit.vOp === null ? null : round(fit.vOp, 1),
      limit: `${limits.min}..${limits.max} V`,
      unit: 'V',
      pass: fit.vOp !== null,
    },
  ];
  if (fit.vOp !== null)
    checks.push({
      name: 'operating voltage error',
      value: round(fit.vOpErr ?? NaN, 2),
      limit: `<= ${p.maxVopErrV} V`,
      unit: 'V',
      pass: fit.vOpErr !== null && fit.vOpErr <= p.maxVopErrV,
    });
  const reasons = checks
    .filter((c) => !c.pass)
    .map((c) =>
      c.name.startsWith('operating voltage for')
        ? describeUnreachable(fit, limits)
        : `${c.name} ${c.value} outside the limit ${c.limit}`,
    );
  const mine: PairOutcome =
    reasons.length === 0
      ? {
          pmt: env.pmt.id,
          gain: gainAt(fit, setpointOf(fit.vOp!)),
          gainErr: gainErrAt(fit, setpointOf(fit.vOp!)),
        }
      : { pmt: env.pmt.id, failed: reasons.join('; ') };
  env.pairs.post(mine);
  if (partner) {
    env.progress.verdict = `waiting for ${partner} to finish its gain curve (gain match)`;
    env.save();
    const theirs = await env.pairs.wait(partner, env.signal);
    const m = gainMatch(mine, theirs, p.targetGain, p.matchTolerancePct);
    checks.push({
      name: `gain matched with ${partner}`,
      value: m.matched,
      limit: `both at ${fmt(p.targetGain)} ± ${p.matchTolerancePct} %`,
      pass: m.matched,
    });
    if (!m.matched) reasons.push(`not gain-matched with ${partner}: ${m.reason}`);
  }
  env.progress.progress = 1;
  if (reasons.length > 0) throw new StepFailed(reasons.join('; '), checks);
  return {
    verdict:
      `G0 ${fmt(fit.g0)} ± ${fmt(fit.g0Err, 2)} at ${fit.v0} V, beta ${round(fit.beta, 2)} ± ${round(fit.betaErr, 2)}, ` +
      `chi2/dof ${round(chi2PerDof, 2)}; gain ${fmt(p.targetGain)} at ${round(fit.vOp!, 1)} ± ${round(fit.vOpErr!, 1)} V` +
      (partner ? `; matched with ${partner}` : ''),
    checks,
  };
}

/** The other tube of this PMT's crystal, when it is in the same run. */
function partnerInRun(env: StepEnv): string | undefined {
  if (env.pmt.group !== 'crystal') return undefined;
  const crystal = env.detector.crystals.find((c) => c.id === env.pmt.parentId);
  const other = crystal?.pmts.find((id) => id !== env.pmt.id);
  return other && env.run.pmts.includes(other) ? other : undefined;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
