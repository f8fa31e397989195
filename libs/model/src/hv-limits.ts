import type { Pmt } from './detector';
import type { HvLimits } from './schemas';

/** The HV settings that a PMT's limits bound, named by the register they are written to. */
export type HvLimitedRegister = 'vset' | 'iset' | 'ramp_up' | 'ramp_down';

/** The values one setting may take on a PMT, and the limit (of detector.yaml) that sets the top. */
export interface HvRange {
  min: number;
  max: number;
  /** ramp rates are whole volts per second */
  integer: boolean;
  unit: 'V' | 'uA' | 'V/s';
  limit: 'vmax' | 'imax' | 'ramp limit';
}

/**
 * The HV limit rule, in one place. The API's preview and the poller's last check before the
 * hardware both apply it (two checks on purpose: the poller trusts no sender), each wording its
 * refusal for its own reader.
 */
export function hvRange(limits: HvLimits, register: HvLimitedRegister): HvRange {
  switch (register) {
    case 'vset':
      return { min: 0, max: limits.vmax, integer: false, unit: 'V', limit: 'vmax' };
    case 'iset':
      return { min: 0, max: limits.imaxUa, integer: false, unit: 'uA', limit: 'imax' };
    case 'ramp_up':
    case 'ramp_down':
      return { min: 1, max: limits.rampMaxVps, integer: true, unit: 'V/s', limit: 'ramp limit' };
  }
}

/** Whether value lies in the range (NaN does not). */
export function withinHvRange(range: HvRange, value: number): boolean {
  return (!range.integer || Number.isInteger(value)) && value >= range.min && value <= range.max;
}

/** Why value may not be written to this register of this PMT, or undefined when it may. */
export function hvLimitRefusal(
  pmt: Pick<Pmt, 'id' | 'limits'>,
  register: HvLimitedRegister,
  value: number,
): string | undefined {
  const r = hvRange(pmt.limits, register);
  if (withinHvRange(r, value)) return undefined;
  return `${register} ${value} ${r.unit} outside ${r.min}..${r.max} ${r.unit} (${r.limit} of ${pmt.id})`;
}
