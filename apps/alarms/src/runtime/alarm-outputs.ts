/**
 * What other systems see of the alarms on MQTT:
 * - cicenns/sc/alarms/state/<alarmId>: the alarm's view, retained, while it is not normal. When
 *   it is back to normal the retained message is deleted (empty payload), so a subscriber to
 *   cicenns/sc/alarms/state/# gets exactly the alarms that need attention, and nothing more.
 * - cicenns/sc/alarms/events: every journal event (QoS 1, not retained).
 * - cicenns/sc/readings/alarms: the same events as `alarm` readings, so the historian keeps the
 *   alarm history in InfluxDB for dashboards.
 */
import { type ReadingPublisher } from '@cicenns/bus';
import { type AlarmView, type JournalEvent, Topics } from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';

export interface AlarmSink {
  state(view: AlarmView): void;
  event(e: JournalEvent): void;
}

export class MqttAlarmOutputs implements AlarmSink {
  constructor(
    private readonly client: MqttClient,
    private readonly readings: ReadingPublisher,
  ) {}

  state(view: AlarmView): void {
    const payload = view.state === 'normal' ? '' : JSON.stringify(view);
    this.client.publish(Topics.alarms.state(view.alarmId), payload, { qos: 1, retain: true });
  }

  event(e: JournalEvent): void {
    this.client.publish(Topics.alarms.events, JSON.stringify(e), { qos: 1 });
    const fields: Record<string, string | number> = {
      state: e.to,
      from: e.from,
      action: e.action,
      rule: e.rule,
      severity: e.severity,
      message: e.message,
    };
    if (e.value !== undefined && Number.isFinite(e.value)) fields.value = e.value;
    if (e.by) fields.by = e.by;
    if (e.comment) fields.comment = e.comment;
    if (e.beam.on !== null) fields.beam_on = e.beam.on ? 1 : 0;
    if (e.beam.power_kw !== null) fields.beam_power_kw = e.beam.power_kw;
    this.readings.add([{ m: 'alarm', id: e.alarmId, ts: e.ts, quality: 'good', fields, source: 'alarms' }]);
  }
}
