import type { ApiClient } from '../client';
import { confirm } from '../prompt';
import { out, table } from './format';

export interface HvSetOptions {
  vset?: string;
  iset?: string;
  rampUp?: string;
  rampDown?: string;
  on?: boolean;
  off?: boolean;
  yes?: boolean;
  partial?: boolean;
  wait?: boolean;
  json?: boolean;
}

interface Change {
  pmt: string;
  from: Record<string, unknown>;
  to: Record<string, unknown>;
  allowed: boolean;
  refusal?: string;
}
interface Result {
  pmt: string;
  ok: boolean;
  readBack: Record<string, number | null>;
  error?: string;
}
interface Progress {
  pmt: string;
  target: number;
  vmon: number | null;
  done: boolean;
  timedOut?: boolean;
}

/** The names the configured detector uses (GET /api/detector): names are configuration. */
export interface DetectorNames {
  crystals: { id: string }[];
  panels: { id: string }[];
}

/**
 * A PMT (or a comma list), a crystal, a veto panel, or a group: veto, crystal, all. Which kind a
 * name is comes from the detector's inventory; an unknown name is sent as a PMT, so the API
 * answers with the reason.
 */
export function parseTarget(t: string | undefined, names: DetectorNames): Record<string, unknown> {
  if (!t)
    throw new Error(
      'hv set: give a target: a PMT (e.g. CsI01-A), a crystal (CsI01), a panel (PSV01), veto, crystal or all',
    );
  if (t === 'veto' || t === 'crystal' || t === 'all') return { group: t };
  if (names.crystals.some((c) => c.id === t)) return { crystal: t };
  if (names.panels.some((p) => p.id === t)) return { panel: t };
  return { pmts: t.split(',').map((s) => s.trim()) };
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name}: "${v}" is not a number`);
  return n;
}

export function parseSet(o: HvSetOptions): Record<string, unknown> {
  if (o.on && o.off) throw new Error('hv set: --on or --off, not both');
  const set = {
    vset: num('vset', o.vset),
    iset: num('iset', o.iset),
    rampUp: num('ramp-up', o.rampUp),
    rampDown: num('ramp-down', o.rampDown),
    power: o.on ? 'on' : o.off ? 'off' : undefined,
  };
  const given = Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined));
  if (!Object.keys(given).length)
    throw new Error('hv set: give --vset, --iset, --ramp-up, --ramp-down, --on or --off');
  return given;
}

const show = (o: Record<string, unknown>) =>
  Object.entries(o)
    .filter(([k]) => k !== 'status')
    .map(([k, v]) => `${k}=${v ?? '-'}`)
    .join(' ');

/** `cicenns hv set <target> --vset 1400 [--yes]`: preview, show, confirm, apply, follow the ramp. */
export async function hvSet(api: ApiClient, target: string | undefined, o: HvSetOptions): Promise<number> {
  const set = parseSet(o);
  const body = { target: parseTarget(target, await api.get<DetectorNames>('/api/detector')), set };
  const preview = await api.post<{ previewId: string; expiresAt: string; changes: Change[] }>(
    '/api/hv/preview',
    body,
  );
  const refused = preview.changes.filter((c) => !c.allowed);
  if (o.json) out(JSON.stringify(preview, null, 2));
  else
    out(
      table([
        ['PMT', 'NOW', 'NEW', 'CHECK'],
        ...preview.changes.map((c) => [
          c.pmt,
          show(c.from),
          show(c.to),
          c.allowed ? 'ok' : `REFUSED: ${c.refusal}`,
        ]),
      ]),
    );
  if (refused.length && !o.partial) {
    out(
      `${refused.length} of ${preview.changes.length} changes refused: nothing done (--partial applies the others)`,
    );
    return 1;
  }
  const n = preview.changes.length - refused.length;
  if (!o.yes && !(await confirm(`apply ${n} change${n === 1 ? '' : 's'}?`))) {
    out('not applied (answer y, or pass --yes)');
    return 1;
  }
  const r = await api.post<{ operationId: string; ok: boolean; results: Result[] }>('/api/hv/apply', {
    previewId: preview.previewId,
    partial: o.partial === true,
  });
  if (o.json) out(JSON.stringify(r, null, 2));
  else
    out(
      table([
        ['PMT', 'RESULT', 'READ BACK'],
        ...r.results.map((x) => [x.pmt, x.ok ? 'ok' : `FAILED: ${x.error}`, show(x.readBack)]),
      ]),
    );
  if (r.ok && o.wait !== false) await follow(api, r.operationId, o.json === true);
  return r.ok ? 0 : 1;
}

/** Print ramp progress until every channel is at its target (or 10 min pass). */
async function follow(api: ApiClient, operationId: string, json: boolean): Promise<void> {
  const until = Date.now() + 600_000;
  let last = '';
  while (Date.now() < until) {
    const op = await api.get<{ progress: Record<string, Progress> }>(`/api/hv/operations/${operationId}`);
    const p = Object.values(op.progress);
    if (!p.length) return;
    const line = p
      .map(
        (x) =>
          `${x.pmt} ${x.vmon?.toFixed(1) ?? '-'}/${x.target} V${x.done ? (x.timedOut ? ' (timed out)' : ' done') : ''}`,
      )
      .join(', ');
    if (line !== last && !json) out(`ramp: ${line}`);
    last = line;
    if (p.every((x) => x.done)) return;
    await new Promise((res) => setTimeout(res, 1000));
  }
}
