import { HvChannel, HvStatus } from './hv-channel';
import { Random } from '@cicenns/common';

const rng = new Random(1);

describe('HvChannel', () => {
  it('starts settled at its setpoint, on, IMon = V / R', () => {
    const ch = new HvChannel(1400, true, 14, 1500);
    expect(ch.vmon).toBe(1400);
    expect(ch.imon).toBeCloseTo(100, 6);
    expect(ch.status).toBe(HvStatus.on);
  });

  it('ramps at the ramp rate and IMon follows VMon through the divider', () => {
    const ch = new HvChannel(900, true, 10, 1100);
    ch.vset = 1000;
    ch.rampUp = 20;
    ch.step(1, rng, 0);
    expect(ch.vmon).toBeCloseTo(920, 6);
    expect(ch.imon).toBeCloseTo(92, 6);
    expect(ch.status & HvStatus.rampingUp).toBeTruthy();
    for (let i = 0; i < 4; i++) ch.step(1, rng, 0);
    expect(ch.vmon).toBeCloseTo(1000, 6); // stops at the setpoint, no overshoot
    ch.step(1, rng, 0);
    expect(ch.status).toBe(HvStatus.on);
  });

  it('power off ramps down at ramp_down and clears the on bit', () => {
    const ch = new HvChannel(1400, true, 14, 1500);
    ch.rampDown = 50;
    ch.setPower(false);
    ch.step(2, rng, 0);
    expect(ch.vmon).toBeCloseTo(1300, 6);
    expect(ch.status & HvStatus.on).toBe(0);
    expect(ch.status & HvStatus.rampingDown).toBeTruthy();
  });

  it('an open interlock sets its bit and takes the output down; power = 1 cannot override it', () => {
    const ch = new HvChannel(1400, true, 14, 1500);
    ch.rampDown = 100;
    ch.interlocked = true;
    ch.setPower(true);
    ch.step(1, rng, 0);
    expect(ch.vmon).toBeCloseTo(1300, 6);
    expect(ch.status & HvStatus.interlock).toBeTruthy();
    expect(ch.status & HvStatus.on).toBe(0);
    ch.interlocked = false; // closed again: the channel, still switched on, ramps back
    ch.step(1, rng, 0);
    expect(ch.status & HvStatus.interlock).toBe(0);
    expect(ch.status & HvStatus.rampingUp).toBeTruthy();
  });

  it('noise is small: ~0.05 V on VMon', () => {
    const ch = new HvChannel(1400, true, 14, 1500);
    const xs: number[] = [];
    for (let i = 0; i < 500; i++) {
      ch.step(0.1, rng, 1);
      xs.push(ch.vmon - 1400);
    }
    const sd = Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
    expect(sd).toBeGreaterThan(0.03);
    expect(sd).toBeLessThan(0.08);
  });

  it('over-current sets its bit and trips after trip_time; power = 1 clears the trip', () => {
    const ch = new HvChannel(1400, true, 14, 1500);
    ch.tripTimeS = 1.0;
    ch.step(0.5, rng, 0, 180);
    expect(ch.imon).toBeCloseTo(180, 6);
    expect(ch.status & HvStatus.overCurrent).toBeTruthy();
    expect(ch.tripped).toBe(false);
    ch.step(0.6, rng, 0, 180);
    expect(ch.tripped).toBe(true);
    expect(ch.power).toBe(0);
    expect(ch.status & HvStatus.tripped).toBeTruthy();
    expect(ch.status & HvStatus.on).toBe(0);
    ch.setPower(true);
    ch.step(0.1, rng, 0);
    expect(ch.tripped).toBe(false);
    expect(ch.status & (HvStatus.on | HvStatus.tripped)).toBe(HvStatus.on);
  });
});
