import { ServerMqtt, type MqttOptions } from '@nestjs/microservices';
import type { MqttClient } from 'mqtt';

/** Takes each DAQ message: its topic and its payload exactly as published. */
export interface DaqSink {
  handle(topic: string, payload: Buffer): void;
}

/** Topics are few (94 PMTs x a few kinds); the cap only bounds a publisher inventing topics. */
const ROUTE_CACHE_MAX = 10_000;
const HANDLED = Promise.resolve();

/**
 * Nest's MQTT transport (connection, reconnects, status, shutdown), with the DAQ's topics
 * delivered straight to a sink instead of through Nest's per-message handler pipeline:
 * - Nest's deserializer would take a JSON payload with a top-level `data` or `pattern` key for
 *   its own envelope and mangle it; the sink gets the payload bytes untouched and validates
 *   them itself (a 10 MB or malformed payload is a counted reject, not a parse error here);
 * - Nest matches every wildcard pattern, awaits the deserializer and builds an RPC context and
 *   a promise chain per message: measured at 0.35 of the intake's 1.9 CPU-s for 200,000 DAQ
 *   messages (docs/PERFORMANCE.md). Here a topic's route is looked up once;
 * - the PUBACKs of one socket read go out in one write (coalesceAcks).
 * Subscriptions use the transport's options: QoS 1, fixed client id, persistent session.
 * Topics without a DAQ route still go to Nest's handlers, if a module declares any.
 */
export class DaqMqttServer extends ServerMqtt {
  private sink?: DaqSink;
  private daqTopics: readonly string[] = [];
  private readonly routes = new Map<string, boolean>();
  private acksCorked = false;

  constructor(private readonly mqttOptions: Required<MqttOptions>['options']) {
    super(mqttOptions);
  }

  /** Where the messages of these topic patterns go; call before listen(). */
  deliverTo(sink: DaqSink, topics: readonly string[]): this {
    this.sink = sink;
    this.daqTopics = topics;
    return this;
  }

  override bindEvents(client: MqttClient): void {
    super.bindEvents(client);
    const qos = this.mqttOptions.subscribeOptions?.qos ?? 1;
    for (const topic of this.daqTopics) client.subscribe(topic, { qos });
  }

  // The base class types the listener as async; the DAQ path finishes synchronously.
  override getMessageHandler(client: MqttClient): (topic: string, payload: Buffer) => Promise<void> {
    const nest = super.getMessageHandler(client);
    return (topic, payload, ...rest) => {
      if (!this.isDaqTopic(topic)) return nest(topic, payload, ...rest);
      this.coalesceAcks(client);
      this.sink?.handle(topic, payload);
      return HANDLED;
    };
  }

  private isDaqTopic(topic: string): boolean {
    let daq = this.routes.get(topic);
    if (daq === undefined) {
      if (this.routes.size >= ROUTE_CACHE_MAX) this.routes.clear();
      daq = this.daqTopics.some((pattern) => this.matchMqttPattern(pattern, topic));
      this.routes.set(topic, daq);
    }
    return daq;
  }

  /**
   * mqtt.js writes each QoS 1 PUBACK in a write of its own (one syscall per message, the
   * intake's largest single cost at full rate). Holding the socket corked until the current
   * read has been handled sends them together; the broker gets the same acks in the same order,
   * at most one event-loop turn later.
   */
  private coalesceAcks(client: MqttClient): void {
    if (this.acksCorked || !client.stream) return;
    const stream = client.stream;
    this.acksCorked = true;
    stream.cork();
    setImmediate(() => {
      this.acksCorked = false;
      stream.uncork();
    });
  }
}
