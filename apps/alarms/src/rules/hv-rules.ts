import { statusFlagMasks, type DeviceProfile } from '@cicenns/model';
import type { Severity } from '@cicenns/contracts';
import type { RuleParams } from './alarm-config';
import { levelVerdict } from './levels';
import { fmt, lazyMessage, type Verdict } from './verdict';

/**
 * Status flag name -> bit mask, from the device profile's statusBits (never hard-coded), with
 * the masks of the flags every HV reading looks at resolved once (a look-up by name for each
 * was a tenth of an HV reading's cost at 45,000 PMTs).
 */
export class StatusMasks extends Map<string, number> {
  on?: number;
  ramping?: number;
  /** tripped | interlock: the states with their own, more specific alarm */
  blocked?: number;

  resolve(): this {
    this.on = this.get('on');
    this.ramping = or(this.get('ramping_up'), this.get('ramping_down'));
    this.blocked = or(this.get('tripped'), this.get('interlock'));
    return this;
  }
}

function or(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : a | b;
}

export function statusMasks(profile: DeviceProfile | undefined): StatusMasks {
  return new StatusMasks(statusFlagMasks(profile)).resolve();
}

/** The latest HV monitor values of one channel, read with its profile's flag names. */
export interface HvView {
  vmon?: number;
  vset?: number;
  /** the power register: 1 = asked to be on */
  power?: number;
  status?: number;
  masks: StatusMasks;
}

/** true/false when the profile defines the flag and the status word is known, else undefined. */
export function flag(v: HvView, name: string): boolean | undefined {
  const mask = v.masks.get(name);
  if (mask === undefined || v.status === undefined) return undefined;
  return (v.status & mask) !== 0;
}

/** Any of the bits of `mask` set; undefined as flag() says. */
function anyBit(v: HvView, mask: number | undefined): boolean | undefined {
  if (mask === undefined || v.status === undefined) return undefined;
  return (v.status & mask) !== 0;
}

/** Output on: power asked for and (when the profile has an "on" bit) the crate says it is on. */
export function isOn(v: HvView): boolean {
  return v.power !== 0 && anyBit(v, v.masks.on) !== false;
}

export function isRamping(v: HvView): boolean {
  return anyBit(v, v.masks.ramping) === true;
}

/**
 * hv-deviation: VMon off VSet while the channel is on and settled (not ramping). A trip or an
 * interlock is its own alarm and explains the deviation, so this one stays quiet then (as
 * hv-off does); the runtime also suppresses it under hv-trip (see runtime/suppression.ts).
 */
export function hvDeviation(v: HvView, p: RuleParams<'hv-deviation'>, prev: Severity | undefined): Verdict {
  if (anyBit(v, v.masks.blocked) === true) {
    return { message: 'HV channel tripped or interlocked: hv-trip / hv-interlock stand for it' };
  }
  if (v.vmon === undefined || v.vset === undefined || !isOn(v) || isRamping(v)) {
    return { message: 'HV off or ramping: VMon not compared with VSet' };
  }
  const dev = v.vmon - v.vset;
  const { vmon, vset } = v;
  const levels = { warn: p.warnV, alarm: p.alarmV, deadband: p.deadbandV };
  return levelVerdict(
    Math.abs(dev),
    dev,
    'V',
    levels,
    prev,
    (limit) =>
      `VMon ${fmt(vmon, 5)} V is ${fmt(Math.abs(dev), 2)} V ${dev >= 0 ? 'above' : 'below'} ` +
      `VSet ${fmt(vset, 5)} V (limit ${limit} V)`,
  );
}

const BIT_TEXT: Record<string, string> = {
  over_current: 'over-current',
  tripped: 'tripped',
  interlock: 'disabled by interlock',
  temperature_error: 'temperature error',
};

/** hv-trip, hv-over-current, ...: one status bit of the crate. */
export function hvStatusBit(v: HvView, p: RuleParams<'hv-trip'>): Verdict {
  const set = flag(v, p.statusBit) === true;
  const text = BIT_TEXT[p.statusBit] ?? p.statusBit;
  const status = v.status;
  return lazyMessage({ severity: set ? p.severity : undefined, value: status, unit: 'status' }, () =>
    set ? `HV channel reports ${text} (status 0x${(status ?? 0).toString(16)})` : `HV channel: no ${text}`,
  );
}

/**
 * hv-off: a channel that should be on (calibrated HV > 0, not in the expected-off list) is
 * off. A trip or an interlock is its own, more specific alarm, so this one stays quiet then.
 */
export function hvOff(v: HvView, calHvV: number, expectedOff: boolean, p: RuleParams<'hv-off'>): Verdict {
  const off = !isOn(v) && anyBit(v, v.masks.blocked) !== true;
  const shouldBeOn = calHvV > 0 && !expectedOff;
  const vmon = v.vmon;
  return lazyMessage(
    { severity: off && shouldBeOn ? p.severity : undefined, value: vmon, limit: calHvV, unit: 'V' },
    () =>
      off
        ? `HV channel is off (VMon ${fmt(vmon ?? 0, 4)} V) but should be at ${fmt(calHvV, 5)} V`
        : 'HV channel is on',
  );
}
