import type { Detector, Procedure } from '@cicenns/model';

/** A start command that cannot be run: the reason names what and where. */
export class RunRefused extends Error {}

/**
 * The PMTs of a target (contracts commissionTargetSchema): a PMT, a crystal or panel (both its
 * tubes), `crystals`, `veto`, `all`, or a list of those; in detector order, each once. An
 * unknown name is refused, naming it.
 */
export function resolveTarget(detector: Detector, target: string | string[]): string[] {
  const wanted = new Set<string>();
  const names = Array.isArray(target) ? target : [target];
  const unknown: string[] = [];
  for (const name of names) {
    if (name === 'all') detector.pmts.forEach((p) => wanted.add(p.id));
    else if (name === 'crystals')
      detector.pmts.filter((p) => p.group === 'crystal').forEach((p) => wanted.add(p.id));
    else if (name === 'veto')
      detector.pmts.filter((p) => p.group === 'veto').forEach((p) => wanted.add(p.id));
    else if (detector.pmt(name)) wanted.add(name);
    else {
      const group = [...detector.crystals, ...detector.panels].find((g) => g.id === name);
      if (group) group.pmts.forEach((id) => wanted.add(id));
      else unknown.push(name);
    }
  }
  if (unknown.length > 0)
    throw new RunRefused(
      `target: unknown ${unknown.length === 1 ? 'name' : 'names'} ${unknown.join(', ')} ` +
        '(a PMT, a crystal or panel, crystals, veto or all)',
    );
  return detector.pmts.filter((p) => wanted.has(p.id)).map((p) => p.id);
}

/**
 * Per PMT: no voltage of the procedure above that PMT's own vmax (the procedures loader checks
 * each group's lowest; a PMT may narrow its own limit in detector.yaml). Checked before anything
 * is applied.
 */
export function voltageRefusals(detector: Detector, procedure: Procedure, pmts: string[]): string[] {
  const out: string[] = [];
  for (const id of pmts) {
    const pmt = detector.pmt(id)!;
    const type = procedure.tubeTypes[pmt.group];
    for (const step of procedure.steps) {
      const p = step.byType[type] as { voltage?: number; voltages?: number[] } | undefined;
      if (!p) continue;
      const volts = [...(p.voltage !== undefined ? [p.voltage] : []), ...(p.voltages ?? [])];
      const over = volts.filter((v) => v > pmt.limits.vmax);
      if (over.length > 0)
        out.push(`${id}: step ${step.id} asks for ${over.join(', ')} V, above its vmax ${pmt.limits.vmax} V`);
    }
  }
  return out;
}

/** The manual items of the procedure's preconditions for the tube types of these PMTs. */
export function manualItems(detector: Detector, procedure: Procedure, pmts: string[]): string[] {
  const types = new Set(pmts.map((id) => procedure.tubeTypes[detector.pmt(id)!.group]));
  const items = new Set<string>();
  for (const step of procedure.steps)
    if (step.kind === 'preconditions')
      for (const t of types)
        for (const i of (step.byType[t] as { manual?: string[] }).manual ?? []) items.add(i);
  return [...items];
}
