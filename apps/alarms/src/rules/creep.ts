import type { CusumStatus } from '../detectors';
import type { RuleParams } from './alarm-config';
import { fmt, type Verdict } from './verdict';

/**
 * The verdict of a slow-drift (CUSUM) rule. `what` names the quantity ("gain", "DCR"); the
 * detector's residual is relative (measured / expected - 1), so its shift is shown in percent.
 */
export function creepVerdict(
  what: string,
  s: CusumStatus,
  p: RuleParams<'gain-creep'> | RuleParams<'dcr-creep'>,
): Verdict {
  if (s.phase === 'warmup') return { message: `${what}: change detector warming up` };
  const side = s.alarm ?? (s.upper >= s.lower ? 'up' : 'down');
  const stat = side === 'up' ? s.upper : s.lower;
  const shiftPct = s.shift * 100;
  const dir = side === 'up' ? 'up' : 'down';
  return {
    severity: s.alarm ? p.severity : undefined,
    value: stat,
    limit: p.cusum.h,
    unit: 'sigma',
    message:
      `${what} creeping ${dir}: ~${fmt(Math.abs(shiftPct), 2)} % off its baseline ` +
      `(CUSUM ${fmt(stat)} sigma, limit ${p.cusum.h}; sigma ${fmt(s.sigma * 100, 2)} %)`,
  };
}
