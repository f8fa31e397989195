import { ServerMqtt, type MqttOptions } from '@nestjs/microservices';
import type { MqttClient } from 'mqtt';
import { describeError, RateLimitedLog, serviceLogger } from '@cicenns/common';
import { AckGate, type AckGateOptions } from './ack-gate';

/** Takes the DAQ's messages and forwards the readings in them. */
export interface DaqSink {
  /** one message: its topic and its payload exactly as published */
  handle(topic: string, payload: Buffer): void;
  /** publish every reading taken so far; `acked` once the broker holds them */
  forward(acked: (err?: Error) => void): void;
  /** the broker acknowledged the DAQ subscriptions */
  onSubscribed?(): void;
}

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
 * - a message is acknowledged to the broker only once its readings are forwarded and held by
 *   the broker (AckGate), so killing the intake loses nothing.
 * Subscriptions use the transport's options: QoS 1, fixed client id, persistent session. The
 * intake declares no Nest message handlers, so every message this connection gets is the sink's.
 */
export class DaqMqttServer extends ServerMqtt {
  private sink?: DaqSink;
  private daqTopics: readonly string[] = [];
  private gate?: AckGate;
  private readonly log = serviceLogger('intake');
  private readonly failures = new RateLimitedLog(this.log.error);
  /** exceptions that escaped the sink (it catches its own; this is the last line) */
  escaped = 0;

  constructor(
    private readonly mqttOptions: Required<MqttOptions>['options'],
    private readonly ackOptions: AckGateOptions,
  ) {
    super(mqttOptions);
  }

  /** Where the messages of these topic patterns go; call before listen(). */
  deliverTo(sink: DaqSink, topics: readonly string[]): this {
    this.sink = sink;
    this.daqTopics = topics;
    return this;
  }

  override createMqttClient(): MqttClient {
    const client = super.createMqttClient();
    this.gate = new AckGate(
      client,
      (acked) => (this.sink ? this.sink.forward(acked) : acked()),
      this.ackOptions,
    );
    return client;
  }

  /** Acknowledge what has been forwarded before disconnecting (else the broker sends it again). */
  override async close(): Promise<void> {
    await this.gate?.drain(2000);
    super.close();
  }

  override bindEvents(client: MqttClient): void {
    super.bindEvents(client);
    const qos = this.mqttOptions.subscribeOptions?.qos ?? 1;
    // (startIntake opens this connection only once the historian's session exists, when asked)
    client.subscribe([...this.daqTopics], { qos }, (err, granted) => {
      const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      if (err || refused.length > 0) {
        this.log.error(`DAQ subscription refused: ${err?.message ?? refused.join(', ')}`);
        return;
      }
      this.sink?.onSubscribed?.();
    });
  }

  // The base class types the listener as async; the DAQ path finishes synchronously.
  override getMessageHandler(): (topic: string, payload: Buffer) => Promise<void> {
    return (topic, payload) => {
      this.gate?.noteMessage();
      try {
        this.sink?.handle(topic, payload);
      } catch (err) {
        // Thrown here it would unwind through mqtt.js into the socket's data handler and end
        // the process before the PUBACK; caught, the message is acknowledged in its turn.
        this.escaped++;
        this.failures.say(`message on ${topic.slice(0, 200)} failed: ${describeError(err)}`);
      }
      return HANDLED;
    };
  }
}
