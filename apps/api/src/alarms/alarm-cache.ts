import { subscribeAcked } from '@cicenns/bus';
import { Topics } from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';

/**
 * An alarm as the alarm service publishes it, retained, on cicenns/sc/alarms/state/<alarmId>
 * (its AlarmView). Only the fields the API sorts by are typed; the rest passes through.
 */
export interface AlarmState {
  alarmId: string;
  state: string;
  severity: 'warning' | 'alarm';
  raisedAt?: number;
  updatedAt: number;
  [key: string]: unknown;
}

const PREFIX = 'cicenns/sc/alarms/state/';
const NEEDS_ATTENTION = new Set(['active-unack', 'active-ack', 'cleared-unack']);
const OUT_OF_SERVICE = new Set(['shelved', 'suppressed', 'disabled']);

/** The current state of every alarm, from the retained topics; listeners hear each change. */
export class AlarmCache {
  private readonly alarms = new Map<string, AlarmState>();
  private readonly listeners = new Set<(a: AlarmState) => void>();
  bad = 0;

  /** Resolves once the broker has acknowledged the subscription. */
  attach(client: MqttClient): Promise<void> {
    client.on('message', (topic, payload) => {
      if (topic.startsWith(PREFIX)) this.onMessage(topic.slice(PREFIX.length), payload);
    });
    return subscribeAcked(client, [Topics.alarms.stateAll]);
  }

  onMessage(alarmId: string, payload: Buffer): void {
    if (payload.length === 0) {
      this.alarms.delete(alarmId); // retained state cleared: the alarm no longer exists
      return;
    }
    try {
      const a = JSON.parse(payload.toString()) as AlarmState;
      if (typeof a !== 'object' || a === null || typeof a.state !== 'string') throw new Error('not an alarm');
      const view = { ...a, alarmId };
      this.alarms.set(alarmId, view);
      for (const l of this.listeners) l(view);
    } catch {
      this.bad++;
    }
  }

  get(id: string): AlarmState | undefined {
    return this.alarms.get(id);
  }

  /** Active and unacknowledged first, then out of service, then normal; alarm before warning; oldest first. */
  list(): AlarmState[] {
    const group = (a: AlarmState) => (NEEDS_ATTENTION.has(a.state) ? 0 : OUT_OF_SERVICE.has(a.state) ? 1 : 2);
    const sev = (a: AlarmState) => (a.severity === 'alarm' ? 0 : 1);
    const since = (a: AlarmState) => a.raisedAt ?? a.updatedAt ?? 0;
    return [...this.alarms.values()].sort(
      (a, b) =>
        group(a) - group(b) || sev(a) - sev(b) || since(a) - since(b) || a.alarmId.localeCompare(b.alarmId),
    );
  }

  onChange(listener: (a: AlarmState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
