export type ConnectionState = 'up' | 'down' | 'connecting' | 'disabled';

/** What a service reports of itself, retained on cicenns/sc/health/<service>. */
export interface ServiceHealth {
  service: string;
  state: 'running' | 'degraded' | 'offline';
  ts: number;
  startedAt?: number;
  /** the reporting process: tells a test or an operator which start of the service this is */
  pid?: number;
  connections: Record<string, { state: ConnectionState; detail?: string; since?: number }>;
  counters: Record<string, number>;
  /** messages refused, by reason (metrics: cicenns_rejected_messages) */
  rejects?: Record<string, number>;
  /** parts of messages refused one by one, e.g. the entries of a DAQ sweep, by reason (cicenns_rejected_entries) */
  rejectedEntries?: Record<string, number>;
  /** messages accepted with a warning, by reason, e.g. unknown_field (cicenns_warning_messages) */
  warnings?: Record<string, number>;
  /** the last few rejections with their reason and where they came from */
  lastRejects?: { ts: number; topic: string; reason: string }[];
  /** the last few warnings, like lastRejects */
  lastWarnings?: { ts: number; topic: string; reason: string }[];
  detail?: Record<string, unknown>;
}
