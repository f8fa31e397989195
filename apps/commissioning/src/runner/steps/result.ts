import type { StepCheck } from '@cicenns/contracts';
import type { StepParams } from '@cicenns/model';
import { dcrAtVoltage } from '../../analysis/dcr-curve';
import { gainAt } from '../../analysis/gain-fit';
import { fmt, StepFailed, type StepEnv, type StepOutcome } from '../step-env';
import { gainErrAt, setpointOf } from './gain-curve';

/**
 * The calibration record of this tube from its measurements, PROPOSED (stored, not in force until
 * an expert approves it): operating voltage, gain there, beta, DCR there at the measured
 * temperature. The temperature coefficients are the tube type's (a short run does not measure
 * them), and the record says so.
 */
export async function result(env: StepEnv<StepParams<'result'>>): Promise<StepOutcome> {
  const p = env.params;
  const fit = env.stepOfKind('gain-curve')?.fit;
  if (!fit || fit.vOp === null || fit.vOpErr === null)
    throw new StepFailed('no operating voltage from the gain curve');
  const hvV = setpointOf(fit.vOp);
  const gain = gainAt(fit, hvV);
  const scan = env.stepOfKind('dcr-scan')?.points?.filter((pt) => pt.rateHz !== undefined) ?? [];
  const held = env.stepOfKind('stability')?.points?.filter((pt) => pt.rateHz !== undefined) ?? [];
  let dcr: { rateHz: number; errHz: number };
  if (scan.length >= 2)
    dcr = dcrAtVoltage(
      scan.map((pt) => ({ v: pt.v, rateHz: pt.rateHz!, rateErrHz: pt.rateErrHz ?? 0 })),
      hvV,
    );
  else if (held.length > 0) {
    // no scan in this procedure: the mean rate held at the operating point
    const mean = held.reduce((s, r) => s + r.rateHz!, 0) / held.length;
    dcr = {
      rateHz: mean,
      errHz: Math.sqrt(held.reduce((s, r) => s + (r.rateErrHz ?? 0) ** 2, 0)) / held.length,
    };
  } else throw new StepFailed('no DCR measured (neither a dcr-scan nor a stability step)');
  const t = env.pmt.sensorId ? env.state.temperature(env.pmt.sensorId) : undefined;
  if (!t) throw new StepFailed(`no temperature of ${env.pmt.sensorId ?? 'the PMT (no sensor configured)'}`);
  const measuredAt = new Date(env.now()).toISOString();
  const record = env.propose({
    pmt: env.pmt.id,
    // in force only from its approval on: the approval sets validFrom again
    validFrom: measuredAt,
    hvV,
    gain,
    beta: fit.beta,
    dcrHz: dcr.rateHz,
    dcrRefTempC: Math.round(t.valueC * 100) / 100,
    dcrTempCoeffPerC: p.dcrTempCoeffPerC,
    gainTempCoeffPerC: p.gainTempCoeffPerC,
    measuredAt,
    method: 'commissioning',
    by: env.run.startedBy,
    run: env.run.runId,
    note:
      `commissioning run ${env.run.runId} (procedure ${env.run.procedure.id}); temperature coefficients ` +
      `are the ${env.tubeType} type's (not measured)`,
    errors: { hvV: fit.vOpErr, gain: gainErrAt(fit, hvV), beta: fit.betaErr, dcrHz: dcr.errHz },
  });
  const checks: StepCheck[] = [
    { name: 'HV setpoint', value: hvV, limit: `<= vmax ${env.pmt.limits.vmax} V`, unit: 'V', pass: true },
    { name: 'gain at the setpoint', value: Number(gain.toPrecision(4)), limit: 'target', pass: true },
    { name: 'beta', value: Math.round(fit.beta * 1000) / 1000, limit: 'fitted', pass: true },
    {
      name: 'DCR at the setpoint',
      value: Math.round(dcr.rateHz * 10) / 10,
      limit: 'measured',
      unit: 'Hz',
      pass: true,
    },
  ];
  if (p.switchOff) await env.switchOff();
  return {
    verdict:
      `proposed calibration v${record.version}: ${hvV} V, gain ${fmt(gain)}, beta ${fmt(fit.beta)}, ` +
      `DCR ${fmt(dcr.rateHz)} Hz at ${record.dcrRefTempC} °C` +
      (p.switchOff ? '; channel switched off' : `; channel left at ${hvV} V`),
    checks,
  };
}
