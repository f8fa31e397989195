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
  /** counts by reason, e.g. rejected MQTT messages */
  rejects?: Record<string, number>;
  /** the last few rejections with their reason and where they came from */
  lastRejects?: { ts: number; topic: string; reason: string }[];
  detail?: Record<string, unknown>;
}
