import type { ApiClient } from '../client';
import { out, table, time } from './format';

interface Alarm {
  alarmId: string;
  state: string;
  severity: string;
  message?: string;
  raisedAt?: number;
}

/** `cicenns alarms [--all]`: alarms that are not normal (all with --all). */
export async function listAlarms(api: ApiClient, all: boolean, json: boolean): Promise<number> {
  const alarms = (await api.get<Alarm[]>('/api/alarms')).filter((a) => all || a.state !== 'normal');
  if (json) out(JSON.stringify(alarms, null, 2));
  else if (!alarms.length) out('no alarms');
  else
    out(
      table([
        ['SEVERITY', 'STATE', 'RAISED', 'ALARM', 'MESSAGE'],
        ...alarms.map((a) => [a.severity, a.state, time(a.raisedAt), a.alarmId, a.message ?? '']),
      ]),
    );
  return 0;
}

/** `cicenns ack <alarmId...> [-m comment]` */
export async function ack(api: ApiClient, ids: string[], comment: string | undefined, json: boolean) {
  if (!ids.length) throw new Error('ack: give one or more alarm ids');
  const r = await api.post<unknown>('/api/alarms/ack', { alarmIds: ids, ...(comment && { comment }) });
  return report(r, json, `acknowledged ${ids.join(', ')}`);
}

/** `cicenns shelve <alarmId> --minutes 60 --reason "..."` */
export async function shelve(
  api: ApiClient,
  id: string | undefined,
  minutes: string | undefined,
  reason: string | undefined,
  json: boolean,
) {
  if (!id) throw new Error('shelve: give the alarm id');
  if (!reason) throw new Error('shelve: --reason is required');
  const r = await api.post<unknown>(`/api/alarms/${encodeURIComponent(id)}/shelve`, {
    reason,
    minutes: Number(minutes ?? 60),
  });
  return report(r, json, `shelved ${id} for ${minutes ?? 60} min`);
}

/** Per-alarm results (ack) may hold refusals although the request as a whole succeeded. */
function report(r: unknown, json: boolean, done: string): number {
  const failed = (Array.isArray(r) ? r : [r]).filter(
    (x): x is { alarmId?: string; error?: string } =>
      !!x && typeof x === 'object' && (x as { ok?: boolean }).ok === false,
  );
  if (json) out(JSON.stringify(r, null, 2));
  else if (failed.length) for (const f of failed) out(`refused: ${f.alarmId ?? ''}: ${f.error ?? ''}`);
  else out(done);
  return failed.length ? 1 : 0;
}
