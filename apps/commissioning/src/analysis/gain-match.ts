/**
 * The two tubes of a crystal are matched to the same gain (SPEC 4): both at their operating
 * voltage within `tolerancePct` of the target and of each other. The reason names the values and
 * the limit, or the tube that has no operating voltage and why.
 */
import { formatPct, formatSci } from './format';

export interface MatchTube {
  pmt: string;
  gain?: number;
  gainErr?: number;
  /** why this tube has no operating voltage (its failed step's verdict) */
  failed?: string;
}

export function gainMatch(
  a: MatchTube,
  b: MatchTube,
  targetGain: number,
  tolerancePct: number,
): { matched: boolean; reason: string } {
  for (const tube of [a, b]) {
    if (tube.failed !== undefined || tube.gain === undefined || !(tube.gain > 0)) {
      return {
        matched: false,
        reason: `${tube.pmt} has no operating voltage: ${tube.failed ?? 'no gain measured'}`,
      };
    }
  }
  const ga = a.gain as number;
  const gb = b.gain as number;
  const limit = formatPct(tolerancePct);
  for (const [tube, g] of [
    [a, ga],
    [b, gb],
  ] as const) {
    const off = (100 * Math.abs(g - targetGain)) / targetGain;
    if (off > tolerancePct) {
      return {
        matched: false,
        reason: `${tube.pmt} gain ${formatGain(g, tube.gainErr)} is ${formatPct(off)} from the target ${formatSci(targetGain)} (limit ${limit})`,
      };
    }
  }
  const apart = (200 * Math.abs(ga - gb)) / (ga + gb);
  if (apart > tolerancePct) {
    return {
      matched: false,
      reason: `${a.pmt} and ${b.pmt} differ by ${formatPct(apart)} (${formatSci(ga)} vs ${formatSci(gb)}, limit ${limit})`,
    };
  }
  return {
    matched: true,
    reason: `${a.pmt} ${formatGain(ga, a.gainErr)} and ${b.pmt} ${formatGain(gb, b.gainErr)} are within ${limit} of the target ${formatSci(targetGain)} and ${formatPct(apart)} apart`,
  };
}

function formatGain(g: number, err: number | undefined): string {
  return err === undefined ? formatSci(g) : `${formatSci(g)} ± ${formatSci(err, 1)}`;
}
