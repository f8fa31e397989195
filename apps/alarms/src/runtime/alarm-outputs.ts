/**
 * What other systems see of the alarms on MQTT:
 * - cicenns/sc/alarms/state/<alarmId>: the alarm's view, retained, while it is not normal. When
 *   it is back to normal the retained message is deleted (empty payload), so a subscriber to
 *   cicenns/sc/alarms/state/# gets exactly the alarms that need attention, and nothing more.
 * - cicenns/sc/alarms/events: every journal event (QoS 1, not retained).
 * - cicenns/sc/readings/alarms: the same events as `alarm` readings, so the historian keeps the
 *   alarm history in InfluxDB for dashboards.
 * At start only the alarms that are not normal are published, in paced chunks (a 45,000-PMT
 * detector has 700,000 alarms: publishing an empty retained message for each normal one was a
 * burst the broker queued for minutes); leftovers retained for alarms now normal are cleared.
 */
import { type ReadingPublisher } from '@cicenns/bus';
import { type AlarmStateName, type AlarmView, type JournalEvent, Topics } from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';

export interface AlarmSink {
  state(view: AlarmView): void;
  event(e: JournalEvent): void;
  /**
   * At start: publish these (the alarms that are not normal) and clear any retained state whose
   * alarm is now normal or unknown (`stateOf` says), without a burst. Without it: state() each.
   */
  republish?(views: AlarmView[], stateOf: (alarmId: string) => AlarmStateName | undefined): void;
}

/** states published at start per chunk; the next chunk waits for the broker's acks */
const START_CHUNK = 200;
/** how long after start retained leftovers are looked for */
const LEFTOVER_WINDOW_MS = 10_000;

export class MqttAlarmOutputs implements AlarmSink {
  /** start-up states published and retained leftovers cleared (health, tests) */
  readonly startup = { published: 0, leftoversCleared: 0 };

  constructor(
    private readonly client: MqttClient,
    private readonly readings: ReadingPublisher,
    /**
     * Whether this instance owns an alarm id (scaleOut.alarmPartitions): a retained state of
     * another instance's alarm is that instance's, never a leftover here. Single: all.
     */
    private readonly owns: (alarmId: string) => boolean = () => true,
  ) {}

  republish(views: AlarmView[], stateOf: (alarmId: string) => AlarmStateName | undefined): void {
    this.clearLeftovers(stateOf);
    let next = 0;
    const chunk = () => {
      const end = Math.min(views.length, next + START_CHUNK);
      let waiting = end - next;
      // nothing more once the service is stopping (a write after end is an error)
      if (waiting === 0 || this.client.disconnecting) return;
      for (; next < end; next++) {
        const v = views[next];
        this.client.publish(
          Topics.alarms.state(v.alarmId),
          JSON.stringify(v),
          { qos: 1, retain: true },
          () => {
            this.startup.published++;
            if (--waiting === 0) setImmediate(chunk);
          },
        );
      }
    };
    chunk();
  }

  /**
   * A retained state whose alarm is normal (the process died between its store and the clear)
   * or gone from the configuration is deleted. The broker sends the retained messages of a new
   * subscription with the retain flag; only non-normal states are retained, so they are few.
   */
  private clearLeftovers(stateOf: (alarmId: string) => AlarmStateName | undefined): void {
    const prefix = Topics.alarms.statePrefix;
    const onMessage = (topic: string, payload: Buffer, packet: { retain?: boolean }) => {
      if (!packet.retain || payload.length === 0 || !topic.startsWith(prefix)) return;
      const alarmId = topic.slice(prefix.length);
      if (!this.owns(alarmId)) return;
      const state = stateOf(alarmId);
      if (state !== undefined && state !== 'normal') return;
      this.client.publish(topic, '', { qos: 1, retain: true });
      this.startup.leftoversCleared++;
    };
    this.client.on('message', onMessage);
    this.client.subscribe(Topics.alarms.stateAll, { qos: 0 });
    const done = setTimeout(() => {
      this.client.removeListener('message', onMessage);
      if (this.client.connected) this.client.unsubscribe(Topics.alarms.stateAll);
    }, LEFTOVER_WINDOW_MS);
    done.unref();
  }

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
