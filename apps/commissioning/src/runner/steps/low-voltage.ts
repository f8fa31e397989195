import type { StepParams } from '@cicenns/model';
import { fmt, StepFailed, type StepEnv, type StepOutcome } from '../step-env';

/**
 * The divider check at a low voltage: IMon must lie on the divider's line V / R_div (V in volts,
 * R in MOhm: uA). A shorted divider draws far more, an open one nothing: either fails here,
 * before any high voltage is applied.
 */
export async function lowVoltage(env: StepEnv<StepParams<'low-voltage'>>): Promise<StepOutcome> {
  const p = env.params;
  const reached = await env.setVoltage(p.voltage);
  await env.sleep(p.settleS * 1000);
  // a reading taken after the settling time, not the one that said "reached"
  const after = env.now();
  const hv = await env.state.waitForHv(
    env.pmt.id,
    (s) => s.receivedAt >= after && s.quality === 'good',
    Math.max(10_000, env.hvSettings.writeTimeoutS * 1000),
    env.signal,
  );
  const v = hv.vmon ?? reached.vmon ?? p.voltage;
  const imon = hv.imon;
  const expected = v / p.dividerMOhm;
  const tol = (expected * p.imonTolerancePct) / 100;
  env.live('IMon', imon ?? NaN, 'uA');
  const devPct = imon === undefined ? null : ((imon - expected) / expected) * 100;
  const pass = imon !== undefined && Math.abs(imon - expected) <= tol;
  const check = {
    name: 'IMon on the divider line V/R_div',
    value: imon === undefined ? null : Math.round(imon * 1000) / 1000,
    limit: `${fmt(expected, 4)} uA ± ${p.imonTolerancePct} % (${fmt(v, 4)} V / ${p.dividerMOhm} MOhm)`,
    unit: 'uA',
    pass,
  };
  env.progress.progress = 1;
  if (!pass) {
    const what =
      imon === undefined
        ? 'no IMon reading'
        : imon > expected
          ? `IMon ${fmt(imon, 4)} uA is ${fmt(devPct!, 3)} % above the divider line (shorted divider?)`
          : `IMon ${fmt(imon, 4)} uA is ${fmt(-devPct!, 3)} % below the divider line (open divider?)`;
    throw new StepFailed(
      `${what} at ${p.voltage} V (VMon ${fmt(v, 4)} V): expected ${fmt(expected, 4)} uA ± ${p.imonTolerancePct} % (limit ${fmt(expected - tol, 4)}..${fmt(expected + tol, 4)} uA)`,
      [check],
    );
  }
  return {
    verdict: `IMon ${fmt(imon!, 4)} uA at ${p.voltage} V (VMon ${fmt(v, 4)} V), ${fmt(devPct!, 2)} % from the divider line (limit ± ${p.imonTolerancePct} %)`,
    checks: [check],
  };
}
