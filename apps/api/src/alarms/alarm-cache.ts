import { subscribeAcked } from '@cicenns/bus';
import {
  NEEDS_ATTENTION,
  OUT_OF_SERVICE,
  receivedAlarmViewSchema,
  Topics,
  type AlarmView,
} from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';

const PREFIX = Topics.alarms.statePrefix;

/** The current state of every alarm, from the retained topics; listeners hear each change. */
export class AlarmCache {
  private readonly alarms = new Map<string, AlarmView>();
  private readonly listeners = new Set<(a: AlarmView) => void>();
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
      const parsed = receivedAlarmViewSchema.safeParse(JSON.parse(payload.toString()));
      if (!parsed.success) throw new Error('not an alarm');
      // as published by the alarm service (its AlarmView); only the state is checked here
      const view = { ...parsed.data, alarmId } as AlarmView;
      this.alarms.set(alarmId, view);
      for (const l of this.listeners) l(view);
    } catch {
      this.bad++;
    }
  }

  get(id: string): AlarmView | undefined {
    return this.alarms.get(id);
  }

  /** Active and unacknowledged first, then out of service, then normal; alarm before warning; oldest first. */
  list(): AlarmView[] {
    const group = (a: AlarmView) => (NEEDS_ATTENTION.has(a.state) ? 0 : OUT_OF_SERVICE.has(a.state) ? 1 : 2);
    const sev = (a: AlarmView) => (a.severity === 'alarm' ? 0 : 1);
    const since = (a: AlarmView) => a.raisedAt ?? a.updatedAt ?? 0;
    return [...this.alarms.values()].sort(
      (a, b) =>
        group(a) - group(b) || sev(a) - sev(b) || since(a) - since(b) || a.alarmId.localeCompare(b.alarmId),
    );
  }

  onChange(listener: (a: AlarmView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
