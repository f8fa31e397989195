import { isCommissioned, type CalibrationRecord, type Detector } from '@cicenns/model';

/** The calibration in force as every PMT view shows it: which record, and whose. */
export function calibrationView(cal: CalibrationRecord | undefined) {
  if (!cal) return null;
  return {
    version: cal.version,
    method: cal.method,
    validFrom: cal.validFrom,
    measuredAt: cal.measuredAt,
    by: cal.by,
    run: cal.run ?? null,
    approvedBy: cal.approvedBy ?? null,
    approvedAt: cal.approvedAt ?? null,
    hvV: cal.hvV,
    gain: cal.gain,
    beta: cal.beta,
    dcrHz: cal.dcrHz,
    dcrRefTempC: cal.dcrRefTempC,
    ...(cal.errors && { errors: cal.errors }),
  };
}

/**
 * `ids` (a subset of `order`) as runs in inventory order: "CsI01-A..CsI15-B, PSV03-A", a run of
 * three or more as first..last. 94 ids of a fresh detector are two runs, not a screenful.
 */
export function idRanges(order: readonly string[], ids: readonly string[]): string {
  const wanted = new Set(ids);
  const runs: string[][] = [];
  let run: string[] = [];
  for (const id of order) {
    if (wanted.has(id)) run.push(id);
    else if (run.length) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  return runs.flatMap((r) => (r.length >= 3 ? [`${r[0]}..${r[r.length - 1]}`] : r)).join(', ');
}

/**
 * How many PMTs are not commissioned yet (their calibration in force is the datasheet figure,
 * SPEC 3.1), for every detector overview of the API (health, detector, the console header,
 * `cicenns status`). Crystal tubes and veto tubes are runs of their own in inventory order.
 */
export function commissioningSummary(detector: Detector, now = Date.now()) {
  const order = detector.pmts.map((p) => p.id);
  const not = order.filter((id) => !isCommissioned(detector.currentCalibration(id, now)));
  return {
    pmts: order.length,
    commissioned: order.length - not.length,
    notCommissioned: not.length,
    notCommissionedPmts: not,
    /** the same as runs: "CsI01-A..CsI15-B, PSV01-A..PSV32-B" */
    notCommissionedRanges: (['crystal', 'veto'] as const)
      .map((g) =>
        idRanges(
          detector.pmts.filter((p) => p.group === g).map((p) => p.id),
          not,
        ),
      )
      .filter((r) => r.length > 0)
      .join(', '),
  };
}
