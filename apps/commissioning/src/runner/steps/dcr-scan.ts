import type { ScanPoint, StepCheck } from '@cicenns/contracts';
import type { StepParams } from '@cicenns/model';
import { windowsAgree } from '../../analysis/dcr-curve';
import { fmt, StepFailed, type StepEnv, type StepOutcome } from '../step-env';

/**
 * DCR against HV, voltages ascending: at each, DCR windows until two successive ones agree (the
 * rate has settled after the voltage change), then the settled rate against the limits. A
 * failure stops the scan at once: no higher voltage is applied. Points are stored as they come;
 * after a restart the scan goes on after its last stored point.
 */
export async function dcrScan(env: StepEnv<StepParams<'dcr-scan'>>): Promise<StepOutcome> {
  const p = env.params;
  const voltages = [...p.voltages].sort((a, b) => a - b);
  const points: ScanPoint[] = (env.progress.points ??= []);
  const limit = `${p.minRateHz}..${p.maxRateHz} Hz`;
  const checkOf = (pt: ScanPoint): StepCheck => ({
    name: `DCR at ${pt.v} V`,
    value: Math.round(pt.rateHz! * 10) / 10,
    limit,
    unit: 'Hz',
    pass: pt.rateHz! <= p.maxRateHz && pt.rateHz! >= p.minRateHz,
  });
  for (const v of voltages) {
    if (points.some((pt) => pt.v === v)) continue; // measured before a restart
    await env.setVoltage(v);
    await env.sleep(p.settleS * 1000);
    let before: { rateHz: number; rateErrHz: number } | undefined;
    let prev: { rateHz: number; rateErrHz: number } | undefined;
    let settled: { rateHz: number; rateErrHz: number } | undefined;
    let attempts = 0;
    while (attempts < p.maxWindows) {
      const r = await env.measureDcr(p.windowS);
      attempts++;
      const cur = { rateHz: r.rate_hz, rateErrHz: r.rate_err_hz };
      env.live(`DCR at ${v} V (window ${attempts})`, cur.rateHz, 'Hz');
      if (prev && windowsAgree(prev, cur, p.settleSigma, p.settleTolerancePct)) {
        settled = cur;
        break;
      }
      before = prev;
      prev = cur;
    }
    if (!settled)
      throw new StepFailed(
        `DCR did not settle at ${v} V: ${attempts} windows of ${p.windowS} s (maxWindows ` +
          `${p.maxWindows}), the last two ${fmt(before?.rateHz ?? NaN)} and ${fmt(prev?.rateHz ?? NaN)} Hz ` +
          `differ by more than ${p.settleSigma} sigma and ${p.settleTolerancePct} %`,
        points.map(checkOf),
      );
    const pt: ScanPoint = { v, rateHz: settled.rateHz, rateErrHz: settled.rateErrHz, attempts };
    points.push(pt);
    env.progress.progress = points.length / voltages.length;
    env.progress.checks = points.map(checkOf);
    env.save();
    if (pt.rateHz! > p.maxRateHz)
      throw new StepFailed(
        `DCR ${fmt(pt.rateHz!)} Hz at ${v} V is above the limit maxRateHz ${p.maxRateHz} Hz`,
        env.progress.checks,
      );
    if (pt.rateHz! < p.minRateHz)
      throw new StepFailed(
        `DCR ${fmt(pt.rateHz!)} Hz at ${v} V is below the limit minRateHz ${p.minRateHz} Hz (dead tube or cable?)`,
        env.progress.checks,
      );
  }
  const rates = points.map((pt) => pt.rateHz!);
  return {
    verdict:
      `DCR ${fmt(Math.min(...rates))}..${fmt(Math.max(...rates))} Hz over ${voltages[0]}..${voltages.at(-1)} V, ` +
      `within ${limit}`,
    checks: points.map(checkOf),
  };
}
