import { Random } from '@cicenns/common';
import type { CalibrationRecord, Pmt, PmtGroup } from '@cicenns/model';

/** Nominal divider resistance per PMT group: crystal 1400 V -> 100 uA, veto 900 V -> 90 uA. */
export const NOMINAL_DIVIDER_MOHM: Record<PmtGroup, number> = { crystal: 14, veto: 10 };

/** The batch spreads of SPEC 3.1 at SIM_TUBE_SPREAD = 1. */
export const TUBE_SPREAD = {
  lnGainSigma: 0.35,
  beta: [6.0, 9.0],
  lnDcrSigma: 0.4,
  dcrTempCoeffPerC: [0.03, 0.07],
  gainTempCoeffSigma: 0.0005,
  dividerRel: 0.05,
} as const;

/** The reference temperature of a true tube's DCR (SPEC 3.1). */
export const TUBE_REF_TEMP_C = 22;

/** What one simulated tube really is, whatever its calibration record says. */
export interface TrueTube {
  /** gain at v0 and the reference temperature */
  g0: number;
  v0: number;
  beta: number;
  /** DCR at v0 and dcrRefTempC */
  dcr0Hz: number;
  dcrRefTempC: number;
  dcrTempCoeffPerC: number;
  gainTempCoeffPerC: number;
  dividerMOhm: number;
}

/** Datasheet figures per group when a PMT has no calibration record at all (SPEC 1). */
const FALLBACK_DATASHEET: Record<PmtGroup, Omit<TrueTube, 'dividerMOhm'>> = {
  crystal: {
    g0: 3.6e6,
    v0: 1400,
    beta: 7,
    dcr0Hz: 2900,
    dcrRefTempC: 22,
    dcrTempCoeffPerC: 0.05,
    gainTempCoeffPerC: -0.003,
  },
  veto: {
    g0: 1.4e7,
    v0: 900,
    beta: 7,
    dcr0Hz: 290,
    dcrRefTempC: 22,
    dcrTempCoeffPerC: 0.05,
    gainTempCoeffPerC: -0.003,
  },
};

/** The datasheet tube: the figures of a datasheet record (or of the group), nominal divider. */
export function datasheetTube(pmt: Pmt, record: CalibrationRecord | undefined): TrueTube {
  const base = record
    ? {
        g0: record.gain,
        v0: record.hvV,
        beta: record.beta,
        dcr0Hz: record.dcrHz,
        dcrRefTempC: record.dcrRefTempC,
        dcrTempCoeffPerC: record.dcrTempCoeffPerC,
        gainTempCoeffPerC: record.gainTempCoeffPerC,
      }
    : FALLBACK_DATASHEET[pmt.group];
  return { ...base, dividerMOhm: NOMINAL_DIVIDER_MOHM[pmt.group] };
}

/**
 * Draw one tube around its datasheet. Each PMT has its own random stream, seeded by the
 * simulator's seed and the PMT id, so adding a PMT or drawing measurement noise does not
 * change the other tubes. `spread` scales every spread: 0 gives the datasheet tube exactly,
 * 1 the batch of SPEC 3.1 (ranges are interpolated from the datasheet value to the range).
 */
export function drawTube(datasheet: TrueTube, seed: number, pmtId: string, spread: number): TrueTube {
  const rng = new Random(streamSeed(seed, pmtId));
  const s = spread;
  const between = ([lo, hi]: readonly [number, number], ds: number) =>
    ds + s * (lo + rng.next() * (hi - lo) - ds);
  // always draw every number in the same order so one figure does not shift the others
  const zGain = rng.gaussian();
  const beta = between(TUBE_SPREAD.beta, datasheet.beta);
  const zDcr = rng.gaussian();
  const dcrTempCoeffPerC = between(TUBE_SPREAD.dcrTempCoeffPerC, datasheet.dcrTempCoeffPerC);
  const zGainTemp = rng.gaussian();
  const uDivider = rng.next();
  return {
    g0: datasheet.g0 * Math.exp(s * TUBE_SPREAD.lnGainSigma * zGain),
    v0: datasheet.v0,
    beta,
    dcr0Hz: datasheet.dcr0Hz * Math.exp(s * TUBE_SPREAD.lnDcrSigma * zDcr),
    dcrRefTempC: s === 0 ? datasheet.dcrRefTempC : TUBE_REF_TEMP_C,
    dcrTempCoeffPerC,
    gainTempCoeffPerC: datasheet.gainTempCoeffPerC + s * TUBE_SPREAD.gainTempCoeffSigma * zGainTemp,
    dividerMOhm: datasheet.dividerMOhm * (1 + s * TUBE_SPREAD.dividerRel * (2 * uDivider - 1)),
  };
}

/** The seed of one PMT's stream: FNV-1a of the id, mixed with the simulator's seed. */
export function streamSeed(seed: number, pmtId: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < pmtId.length; i++) h = Math.imul(h ^ pmtId.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Gain of a true tube at a voltage and temperature. */
export function tubeGain(t: TrueTube, volts: number, tempC: number): number {
  if (volts <= 0) return 0;
  return t.g0 * Math.pow(volts / t.v0, t.beta) * (1 + t.gainTempCoeffPerC * (tempC - t.dcrRefTempC));
}

/** DCR of a true tube: exponential in temperature, (V/V0)^(beta/2) in voltage. */
export function tubeDcr(t: TrueTube, volts: number, tempC: number): number {
  if (volts < 1) return 0;
  return (
    t.dcr0Hz * Math.exp(t.dcrTempCoeffPerC * (tempC - t.dcrRefTempC)) * Math.pow(volts / t.v0, t.beta / 2)
  );
}
