import type { ScanPoint, StepCheck } from '@cicenns/contracts';
import type { StepParams } from '@cicenns/model';
import { windowsAgree } from '../../analysis/dcr-curve';
import { stabilityVerdict } from '../../analysis/stability';
import { fmt, StepFailed, type StepEnv, type StepOutcome } from '../step-env';
import { setpointOf } from './gain-curve';

/**
 * Hold at the operating point for holdS (at least minRounds rounds of one DCR window and one
 * gain measurement): a rate or gain that wanders beyond its limit (and beyond the measurements'
 * own errors) fails here. Rounds are stored as they come; a restart goes on with the next.
 */
export async function stability(env: StepEnv<StepParams<'stability'>>): Promise<StepOutcome> {
  const p = env.params;
  const fit = env.stepOfKind('gain-curve')?.fit;
  if (!fit || fit.vOp === null) throw new StepFailed('no operating voltage from the gain curve');
  const v = setpointOf(fit.vOp);
  const rounds: ScanPoint[] = (env.progress.points ??= []);
  await env.setVoltage(v);
  // after the voltage change the DCR is raised for a while: the hold begins once it has settled
  if (rounds.length === 0) await settle(env, v, p.dcrWindowS);
  const started = env.progress.startedAt ?? env.now();
  const done = () => rounds.length >= p.minRounds && env.now() - started >= p.holdS * 1000;
  while (!done()) {
    const d = await env.measureDcr(p.dcrWindowS);
    env.live(`DCR at ${v} V (round ${rounds.length + 1})`, d.rate_hz, 'Hz');
    const g = await env.measureGain(p.gainDurationS);
    env.live(`SPE gain at ${v} V (round ${rounds.length + 1})`, g.gain, '');
    rounds.push({
      v,
      rateHz: d.rate_hz,
      rateErrHz: d.rate_err_hz,
      gain: g.gain,
      gainErr: g.gain_err,
      nSpe: g.n_spe,
    });
    const byTime = (env.now() - started) / (p.holdS * 1000);
    env.progress.progress = Math.min(0.99, Math.max(byTime, rounds.length / p.minRounds));
    env.save();
  }
  const dcr = stabilityVerdict(
    rounds.map((r) => ({ value: r.rateHz!, err: r.rateErrHz! })),
    p.maxDcrChangePct,
  );
  const gain = stabilityVerdict(
    rounds.map((r) => ({ value: r.gain!, err: r.gainErr! })),
    p.maxGainChangePct,
  );
  const checks: StepCheck[] = [
    {
      name: 'gain change over the hold',
      value: Math.round(gain.maxDevPct * 100) / 100,
      limit: `<= ${p.maxGainChangePct} % beyond 3 sigma`,
      unit: '%',
      pass: gain.pass,
    },
    {
      name: 'DCR change over the hold',
      value: Math.round(dcr.maxDevPct * 100) / 100,
      limit: `<= ${p.maxDcrChangePct} % beyond 3 sigma`,
      unit: '%',
      pass: dcr.pass,
    },
  ];
  const failed: string[] = [];
  if (!gain.pass)
    failed.push(
      `gain wandered ${fmt(gain.maxDevPct)} % from its mean ${fmt(gain.mean)} at ${v} V over ${rounds.length} rounds ` +
        `(limit ${p.maxGainChangePct} %)`,
    );
  if (!dcr.pass)
    failed.push(
      `DCR wandered ${fmt(dcr.maxDevPct)} % from its mean ${fmt(dcr.mean)} Hz at ${v} V over ${rounds.length} rounds ` +
        `(limit ${p.maxDcrChangePct} %)`,
    );
  if (failed.length > 0) throw new StepFailed(failed.join('; '), checks);
  return {
    verdict:
      `stable at ${v} V over ${rounds.length} rounds: gain ${fmt(gain.mean)}, largest change ${fmt(gain.maxDevPct)} % ` +
      `(limit ${p.maxGainChangePct} % beyond 3 sigma), DCR ${fmt(dcr.mean)} Hz, largest change ${fmt(dcr.maxDevPct)} % ` +
      `(limit ${p.maxDcrChangePct} % beyond 3 sigma)`,
    checks,
  };
}

/**
 * DCR windows at v until two successive ones agree, with the dcr-scan step's settling criteria
 * (none in the procedure: no wait).
 */
async function settle(env: StepEnv<StepParams<'stability'>>, v: number, windowS: number): Promise<void> {
  const scan = env.run.procedure.steps.find((s) => s.kind === 'dcr-scan');
  const c = scan?.byType[env.tubeType] as StepParams<'dcr-scan'> | undefined;
  if (!c) return;
  let prev: { rateHz: number; rateErrHz: number } | undefined;
  for (let i = 1; i <= c.maxWindows; i++) {
    const r = await env.measureDcr(windowS);
    const cur = { rateHz: r.rate_hz, rateErrHz: r.rate_err_hz };
    env.live(`DCR settling at ${v} V (window ${i})`, cur.rateHz, 'Hz');
    if (prev && windowsAgree(prev, cur, c.settleSigma, c.settleTolerancePct)) return;
    prev = cur;
  }
  throw new StepFailed(
    `DCR did not settle at the operating point ${v} V: ${c.maxWindows} windows of ${windowS} s ` +
      `(the last ${fmt(prev?.rateHz ?? NaN)} Hz)`,
  );
}
