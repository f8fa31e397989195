import { NEEDS_ATTENTION, type AlarmView } from '@cicenns/contracts';
import type { ApiClient } from '../client';
import { allPages } from './all-pages';
import { out, table } from './format';

interface Health {
  status: string;
  services: Record<string, { state: string; ageMs: number | null }>;
  /** tubes whose calibration in force is only the datasheet figure (absent from an older API) */
  commissioning?: { pmts: number; notCommissioned: number; notCommissionedRanges: string };
}
interface PmtView {
  id: string;
  vmon: { value: number | null; quality: string };
  status: { flags: string[] };
  commissioned?: boolean;
}

/** "not commissioned: 3 of 94 (CsI01-A..CsI02-A)", or "all 94 commissioned". */
export function commissioningLine(health: Health, pmts: PmtView[]): string | undefined {
  let c = health.commissioning;
  if (!c && pmts.some((p) => p.commissioned !== undefined)) {
    const not = pmts.filter((p) => p.commissioned === false).map((p) => p.id);
    c = { pmts: pmts.length, notCommissioned: not.length, notCommissionedRanges: not.join(', ') };
  }
  if (!c) return undefined;
  if (c.notCommissioned === 0) return `  all ${c.pmts} commissioned`;
  return `  not commissioned: ${c.notCommissioned} of ${c.pmts} (${c.notCommissionedRanges}): datasheet figures, not judged by the calibration alarms`;
}

/** `cicenns status`: services, PMTs by quality, alarms needing attention. */
export async function status(api: ApiClient, json: boolean): Promise<number> {
  const [health, pmts, alarms] = await Promise.all([
    api.get<Health>('/api/health'),
    allPages<PmtView>(api, '/api/pmts'),
    api.get<AlarmView[]>('/api/alarms'),
  ]);
  const attention = alarms.filter((a) => NEEDS_ATTENTION.has(a.state));
  if (json) {
    out(JSON.stringify({ health, pmts, alarms: attention }, null, 2));
    return 0;
  }
  out(`system: ${health.status}  (${api.url})`);
  out(table(Object.entries(health.services).map(([n, s]) => [`  ${n}`, s.state])));
  const byQuality: Record<string, number> = {};
  for (const p of pmts) byQuality[p.vmon.quality] = (byQuality[p.vmon.quality] ?? 0) + 1;
  const off = pmts.filter((p) => !p.status.flags.includes('on')).map((p) => p.id);
  out(
    `PMTs: ${pmts.length} (${Object.entries(byQuality)
      .map(([q, n]) => `${n} ${q}`)
      .join(', ')})`,
  );
  const commissioning = commissioningLine(health, pmts);
  if (commissioning) out(commissioning);
  if (off.length) out(`  HV off: ${off.join(' ')}`);
  const tripped = pmts.filter((p) => p.status.flags.includes('tripped')).map((p) => p.id);
  if (tripped.length) out(`  tripped: ${tripped.join(' ')}`);
  out(`alarms needing attention: ${attention.length}`);
  if (attention.length)
    out(table(attention.slice(0, 20).map((a) => [`  ${a.severity}`, a.state, a.alarmId, a.message ?? ''])));
  return 0;
}
