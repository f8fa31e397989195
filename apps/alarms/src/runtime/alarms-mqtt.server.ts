import { ServerMqtt, type MqttOptions } from '@nestjs/microservices';
import type { ConsumerDeserializer, IncomingEvent, IncomingRequest } from '@nestjs/microservices';
import { subscribeAcked } from '@cicenns/bus';
import { Topics } from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';

/** What the bus handlers receive: the payload exactly as published. */
export interface RawBusMessage {
  topic: string;
  payload: string;
}

const REQUEST_PREFIX = Topics.alarms.prefix;

/**
 * Two kinds of traffic on one connection: our services' readings and health (plain JSON, parsed
 * and validated by the handlers) and commands from Nest's ClientMqtt (Nest's {id, pattern, data}
 * envelope, answered on `<topic>/reply`). Only the command topics are read as envelopes, so a
 * reading batch can never be mistaken for one.
 */
export class AlarmsDeserializer implements ConsumerDeserializer {
  invalidRequests = 0;

  /**
   * @param answers whether this alarm instance answers a request (scaleOut.alarmPartitions:
   * every instance receives every request; one must answer). Single instance: every request.
   */
  constructor(private readonly answers: (topic: string, data: unknown) => boolean = () => true) {}

  deserialize(value: unknown, options?: { channel?: string }): IncomingEvent | IncomingRequest {
    const topic = options?.channel ?? '';
    const payload = String(value);
    if (topic.startsWith(REQUEST_PREFIX)) {
      try {
        const packet = JSON.parse(payload) as { id?: unknown; data?: unknown };
        if (typeof packet.id === 'string') {
          // another instance's request: dropped here like an event, not counted as invalid
          if (!this.answers(topic, packet.data)) return { pattern: topic, data: undefined };
          return { id: packet.id, pattern: topic, data: packet.data };
        }
      } catch {
        /* counted below */
      }
      // without an id there is no one to answer: AlarmsMqttServer drops it (counted)
      this.invalidRequests++;
      return { pattern: topic, data: undefined };
    }
    return { pattern: topic, data: { topic, payload } satisfies RawBusMessage };
  }
}

/** Nest's MQTT server, taking payloads as text (Nest's deserializer takes a JSON payload with a top-level `data` or `pattern` key for its own envelope). */
export class AlarmsMqttServer extends ServerMqtt {
  readonly requestDeserializer: AlarmsDeserializer;
  /** resolves once the broker has acknowledged every subscription (set by listen()) */
  subscribed: Promise<void> = Promise.resolve();

  constructor(
    options: Required<MqttOptions>['options'],
    answers?: (topic: string, data: unknown) => boolean,
  ) {
    const deserializer = new AlarmsDeserializer(answers);
    super({ ...options, deserializer });
    this.requestDeserializer = deserializer;
  }

  // a command without Nest's envelope arrives as an "event": there is no one to answer, drop it
  override handleEvent(
    ...args: Parameters<ServerMqtt['handleEvent']>
  ): ReturnType<ServerMqtt['handleEvent']> {
    if (args[0].startsWith(REQUEST_PREFIX)) return Promise.resolve();
    return super.handleEvent(...args);
  }

  /**
   * Nest subscribes each handler's topic without waiting for the broker's answer; subscribing
   * the same topics once more and awaiting that SUBACK tells when all of them are in place.
   */
  override bindEvents(client: MqttClient): void {
    super.bindEvents(client);
    const topics = [...this.messageHandlers].map(([pattern, h]) =>
      h.isEventHandler ? pattern : this.getRequestPattern(pattern),
    );
    this.subscribed = subscribeAcked(client, topics);
  }

  override getRouteFromPattern(pattern: string): string {
    return pattern;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override parseMessage(content: any): any {
    return content;
  }
}
