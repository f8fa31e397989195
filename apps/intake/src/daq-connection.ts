import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import {
  closeBusClient,
  discardSession,
  instanceSession,
  instanceSuffix,
  instanceTopics,
  mqttClientDefaults,
  type BrokerSettings,
  type ServiceInstance,
} from '@cicenns/bus';
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

/**
 * The intake's connection for the DAQ's topics: a fixed client id (`<prefix>-intake`) and a
 * persistent session (clean: false) with QoS 1 subscriptions, so the broker keeps the DAQ's
 * messages while the intake is down; payload bytes go straight to the sink, untouched (it
 * validates them itself: a 10 MB or malformed payload is a counted reject, not a parse error
 * here), and a message is acknowledged to the broker only once its readings are forwarded and
 * held by the broker (AckGate), so killing the intake loses nothing.
 *
 * A plain mqtt.js client: it used to be Nest's MQTT server transport, of which the intake used
 * only the connection (its per-message pipeline was bypassed: it mangled payloads with a `data`
 * key and cost 0.35 of the intake's CPU), and Nest with rxjs cost the intake about 25 MB of
 * memory at rest (docs/PERFORMANCE.md "Memory at rest").
 *
 * One of several intakes (scaleOut.instance): `<prefix>-intake-<instance>`, MQTT 5 with a
 * session expiry, and `$share/<group>/...` subscriptions, so the broker gives each DAQ message
 * to one intake of the group; the rest (AckGate, persistence) is the same
 * (docs/DEPLOY-SCALE.md).
 */
export class DaqConnection {
  private client?: MqttClient;
  private gate?: AckGate;
  private readonly log = serviceLogger('intake');
  private readonly failures = new RateLimitedLog(this.log.error);
  /** exceptions that escaped the sink (it catches its own; this is the last line) */
  escaped = 0;
  /** DAQ messages taken since start */
  received = 0;

  constructor(
    private readonly mqtt: BrokerSettings,
    private readonly sink: DaqSink,
    private readonly topics: readonly string[],
    private readonly ackOptions: AckGateOptions,
    private readonly inst: ServiceInstance = { instance: '', group: '', sessionExpirySeconds: 0 },
  ) {}

  /**
   * The client's options: a persistent session under `<prefix>-intake`, MQTT 3.1.1, reconnects;
   * one of several: `<prefix>-intake-<instance>` under MQTT 5, its session kept while it is away,
   * and the broker sending at most twice the ack window unacknowledged (as max_inflight_messages
   * does under 3.1.1).
   */
  options(): IClientOptions {
    return {
      clientId: `${this.mqtt.clientIdPrefix}-${instanceSuffix('intake', this.inst)}`,
      clean: false,
      ...instanceSession(this.inst, 2 * this.ackOptions.window),
      reconnectPeriod: 1000,
      username: this.mqtt.username,
      password: this.mqtt.password,
      ...mqttClientDefaults(),
    };
  }

  /** Connect and subscribe; resolves at the first connection (the SUBACK comes to the sink). */
  open(): Promise<void> {
    const client = this.connect();
    client.subscribe(instanceTopics(this.topics, this.inst), { qos: 1 }, (err, granted) => {
      const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      if (err || refused.length > 0) {
        this.log.error(`DAQ subscription refused: ${err?.message ?? refused.join(', ')}`);
        return;
      }
      this.sink.onSubscribed?.();
    });
    return new Promise((resolve) => client.once('connect', () => resolve()));
  }

  private connect(): MqttClient {
    const client = connect(this.mqtt.url, this.options());
    this.client = client;
    this.gate = new AckGate(client, (acked) => this.sink.forward(acked), this.ackOptions);
    client.on('error', (e) => this.log.error(`mqtt (DAQ topics): ${e.message}`));
    client.on('reconnect', () => this.log.log('DAQ connection lost, reconnecting'));
    client.on('message', this.messageHandler());
    return client;
  }

  /**
   * Retire this instance for good (scale down) without losing its share: connect to its
   * session, unsubscribe (the broker routes nothing new to it), take and forward what the
   * session still holds until nothing has come for `quietMs`, then discard the session. Also for
   * the single instance, when moving to several: its session would queue everything. Without that, Mosquitto would go on queueing every Nth
   * message of the group for the absent instance until its session expired, and drop them then.
   * Resolves to the number of messages taken.
   */
  async retire(quietMs: number): Promise<number> {
    const client = this.connect();
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.unsubscribeAsync(instanceTopics(this.topics, this.inst));
    for (let seen = -1; seen !== this.received || this.gate!.held > 0;) {
      seen = this.received;
      await new Promise((r) => setTimeout(r, quietMs));
    }
    await this.gate!.drain(5000);
    await client.endAsync();
    // a clean start under the same id discards the session (MQTT 3.1.1 and 5 alike)
    await discardSession(this.mqtt, this.options().clientId!);
    return this.received;
  }

  /** Each message to the sink; nothing the sink throws unwinds into mqtt.js. */
  messageHandler(): (topic: string, payload: Buffer) => void {
    return (topic, payload) => {
      this.received++;
      this.gate?.noteMessage();
      try {
        this.sink.handle(topic, payload);
      } catch (err) {
        // Thrown here it would unwind through mqtt.js into the socket's data handler and end
        // the process before the PUBACK; caught, the message is acknowledged in its turn.
        this.escaped++;
        this.failures.say(`message on ${topic.slice(0, 200)} failed: ${describeError(err)}`);
      }
    };
  }

  /** Acknowledge what has been forwarded before disconnecting (else the broker sends it again). */
  async close(): Promise<void> {
    await this.gate?.drain(2000);
    if (this.client) await closeBusClient(this.client);
  }
}
