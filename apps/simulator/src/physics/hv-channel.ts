import type { Random } from '@cicenns/common';

/** Status bits of SPEC 2.1. */
export const HvStatus = {
  on: 1 << 0,
  rampingUp: 1 << 1,
  rampingDown: 1 << 2,
  overCurrent: 1 << 3,
  overVoltage: 1 << 4,
  underVoltage: 1 << 5,
  tripped: 1 << 6,
  atMaxV: 1 << 7,
  interlock: 1 << 8,
} as const;

/** One HV channel: the settings a client can write and the true and measured outputs. */
export class HvChannel {
  vset: number;
  iset = 150;
  power: 0 | 1;
  rampUp = 20;
  rampDown = 20;
  /** seconds of continuous over-current before the channel trips */
  tripTimeS = 1.0;
  tripped = false;
  /** the crate's interlock is open: no output, whatever power says (a fault sets it) */
  interlocked = false;
  /** the divider's resistance as a multiple of its own (a fault: short < 1, open = Infinity) */
  dividerScale = 1;
  /** the voltage really on the tube */
  vTrue: number;
  /** what the monitors read (true value plus noise), refreshed every step */
  vmon: number;
  imon: number;
  status = 0;
  private overCurrentS = 0;
  private direction: -1 | 0 | 1 = 0;

  constructor(
    vset: number,
    on: boolean,
    /** divider resistance: IMon = V / R (uA = V / MOhm) */
    readonly dividerMOhm: number,
    readonly vmax: number,
  ) {
    this.vset = vset;
    this.power = on ? 1 : 0;
    // Start settled at the setpoint: the detector has been running before the simulator started.
    this.vTrue = on ? vset : 0;
    this.vmon = this.vTrue;
    this.imon = this.vTrue / dividerMOhm;
    this.updateStatus(false);
  }

  get isOn(): boolean {
    return this.power === 1 && !this.tripped && !this.interlocked;
  }

  /** Trip: output off, tripped bit set until a client writes power = 1. */
  trip(): void {
    this.tripped = true;
    this.power = 0;
    this.overCurrentS = 0;
  }

  setPower(on: boolean): void {
    this.power = on ? 1 : 0;
    if (on) this.tripped = false;
  }

  /**
   * Advance by dt seconds. `forcedImonUa` models a load fault (e.g. a discharge in the
   * divider): while the channel has voltage its current is this value instead of V/R.
   */
  step(dt: number, rng: Random, noise: number, forcedImonUa?: number): void {
    const target = this.isOn ? this.vset : 0;
    if (this.vTrue < target) {
      this.vTrue = Math.min(target, this.vTrue + this.rampUp * dt);
      this.direction = 1;
    } else if (this.vTrue > target) {
      this.vTrue = Math.max(target, this.vTrue - this.rampDown * dt);
      this.direction = -1;
    } else {
      this.direction = 0;
    }
    const iTrue =
      forcedImonUa !== undefined && this.vTrue > 1
        ? forcedImonUa
        : this.vTrue / (this.dividerMOhm * this.dividerScale);
    const overCurrent = iTrue > this.iset;
    if (overCurrent && this.isOn) {
      this.overCurrentS += dt;
      if (this.overCurrentS >= this.tripTimeS) this.trip();
    } else {
      this.overCurrentS = 0;
    }
    this.vmon = Math.max(0, this.vTrue + 0.05 * noise * rng.gaussian());
    this.imon = Math.max(0, iTrue + 0.02 * noise * rng.gaussian());
    this.updateStatus(overCurrent);
  }

  private updateStatus(overCurrent: boolean): void {
    let s = 0;
    if (this.isOn) s |= HvStatus.on;
    // still moving after this step, i.e. not yet at the target
    const target = this.isOn ? this.vset : 0;
    if (this.direction === 1 && this.vTrue < target) s |= HvStatus.rampingUp;
    if (this.direction === -1 && this.vTrue > target) s |= HvStatus.rampingDown;
    if (overCurrent && this.vTrue > 1) s |= HvStatus.overCurrent;
    if (this.tripped) s |= HvStatus.tripped;
    if (this.interlocked) s |= HvStatus.interlock;
    if (this.vset >= this.vmax) s |= HvStatus.atMaxV;
    this.status = s;
  }
}
