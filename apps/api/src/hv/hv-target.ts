import type { Detector, Pmt } from '@cicenns/model';
import type { HvTarget } from './hv-dto';

/** The PMTs a target names, or the reason it names none (unknown id). */
export function resolveTarget(detector: Detector, t: HvTarget): Pmt[] | string {
  if (t.pmts) {
    const unknown = t.pmts.filter((id) => !detector.pmt(id));
    if (unknown.length) return `unknown PMT ${unknown.join(', ')}`;
    return [...new Set(t.pmts)].map((id) => detector.pmt(id)!);
  }
  if (t.crystal) {
    const c = detector.crystal(t.crystal);
    return c ? c.pmts.map((id) => detector.pmt(id)!) : `unknown crystal ${t.crystal}`;
  }
  if (t.panel) {
    const p = detector.panel(t.panel);
    return p ? p.pmts.map((id) => detector.pmt(id)!) : `unknown veto panel ${t.panel}`;
  }
  if (t.group === 'all') return [...detector.pmts];
  return detector.pmts.filter((p) => p.group === t.group);
}
