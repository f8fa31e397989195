/**
 * An alarm as a Prometheus Alertmanager (API v2) alert. Labels identify and route it, so they
 * must be stable for the life of the alarm: no state, value or time in them (those go in the
 * annotations). Alertmanager groups and inhibits on these labels (deploy/alertmanager/).
 */
import type { AlarmRecord } from './alarm-record';
import type { BeamSnapshot } from '@cicenns/contracts';

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL: string;
}

export interface AlertContext {
  site: string;
  consoleUrl: string;
  beam: BeamSnapshot;
}

export function alarmLink(consoleUrl: string, alarmId: string): string {
  return `${consoleUrl.replace(/\/$/, '')}/#/alarms/${encodeURIComponent(alarmId)}`;
}

export function alertLabels(r: AlarmRecord, site: string): Record<string, string> {
  const s = r.subject;
  const labels: Record<string, string> = {
    alertname: r.rule,
    severity: r.severity,
    subsystem: r.subsystem,
    alarm_id: r.alarmId,
    site,
  };
  const put = (k: string, v: string | undefined) => {
    if (v) labels[k] = v; // Alertmanager treats an empty label as absent
  };
  if (s.kind === 'crystal' || s.kind === 'panel') put(s.kind, s.id);
  else if (s.parent) put(s.parentKind ?? 'crystal', s.parent);
  if (s.kind === 'pmt') put('pmt', s.id);
  if (s.kind === 'sensor') put('sensor', s.id);
  if (s.kind === 'service') put('service', s.id);
  put('device', s.kind === 'device' ? s.id : s.device);
  return labels;
}

/** Stable identity of a label set (Alertmanager's own notion of "the same alert"). */
export function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function beamText(b: BeamSnapshot): string {
  if (b.on === null) return 'unknown';
  return b.on ? `on, ${b.power_kw ?? '?'} kW` : 'off';
}

function measured(r: AlarmRecord): string {
  if (r.value === undefined) return '';
  const unit = r.unit ? ` ${r.unit}` : '';
  const limit = r.limit !== undefined ? ` (limit ${r.limit}${unit})` : '';
  return ` Value ${r.value}${unit}${limit}.`;
}

export function toAlert(r: AlarmRecord, ctx: AlertContext, endsAt?: number): AmAlert {
  const link = alarmLink(ctx.consoleUrl, r.alarmId);
  const alert: AmAlert = {
    labels: alertLabels(r, ctx.site),
    annotations: {
      summary: r.message || r.alarmId,
      description: `${r.alarmId} (${r.severity}, ${r.subsystem}): ${r.message}.${measured(r)}${
        r.ack ? ` Acknowledged by ${r.ack.by}${r.ack.comment ? `: ${r.ack.comment}` : ''}.` : ''
      }`,
      guidance: r.guidance,
      console_url: link,
      beam: beamText(ctx.beam),
    },
    startsAt: new Date(r.raisedAt ?? r.updatedAt).toISOString(),
    generatorURL: link,
  };
  if (endsAt !== undefined) alert.endsAt = new Date(endsAt).toISOString();
  return alert;
}
