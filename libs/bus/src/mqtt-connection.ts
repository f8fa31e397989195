import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { healthName, type ServiceHealth, Topics } from '@cicenns/contracts';

export interface BusOptions {
  url: string;
  /** fixed client id: with clean=false the broker keeps our subscriptions and queued QoS 1 messages */
  clientId: string;
  service: string;
  username?: string;
  password?: string;
  clean?: boolean;
  /** one of several instances: its health (and last will) goes under `<service>-<instance>` */
  instance?: string;
  /** MQTT 5 and its session expiry for a shared-subscription member (service-instance.ts) */
  session?: Pick<IClientOptions, 'protocolVersion' | 'properties'>;
}

/**
 * mqtt.js logs through `debug` on every packet; even disabled, the check costs a few percent of
 * a service's CPU at DAQ rates. Kept only when DEBUG asks for mqttjs.
 */
export function mqttLog(): { log?: (...args: unknown[]) => void } {
  return /mqttjs/.test(process.env.DEBUG ?? '') ? {} : { log: () => undefined };
}

/**
 * Options every mqtt.js client of ours gets (ours and Nest's transports): `mqttLog()`, and no
 * write cache. With `writeCache` (mqtt.js's default) mqtt-packet keeps 65,536 two-byte Buffers,
 * one per possible packet id and length, built at the first packet: 6.6 MB of heap in every
 * process (seen in heap snapshots of each service at rest, docs/PERFORMANCE.md "Memory at
 * rest") to save allocating two bytes per packet. It is one switch for the whole process.
 */
export function mqttClientDefaults(): { log?: (...args: unknown[]) => void; writeCache: false } {
  return { ...mqttLog(), writeCache: false };
}

/**
 * Connect to the broker the way every service must: fixed client id, persistent session,
 * automatic reconnect, MQTT 3.1.1 (the embedded demo broker speaks only that), and a last
 * will that marks the service offline on cicenns/sc/health/<service>.
 */
export function connectBus(opts: BusOptions): MqttClient {
  const offline: ServiceHealth = {
    service: opts.service,
    ...(opts.instance && { instance: opts.instance }),
    state: 'offline',
    ts: 0,
    session: opts.clientId,
    connections: {},
    counters: {},
  };
  const options: IClientOptions = {
    clientId: opts.clientId,
    clean: opts.clean ?? false,
    protocolVersion: 4,
    ...opts.session,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    username: opts.username,
    password: opts.password,
    ...mqttClientDefaults(),
    will: {
      topic: Topics.health(healthName(opts.service, opts.instance)),
      payload: Buffer.from(JSON.stringify(offline)),
      qos: 1,
      retain: true,
    },
  };
  return connect(opts.url, options);
}

/** connectBus for a service of ours: its client id is `<clientIdPrefix>-<suffix>`. */
export function connectService(
  mqtt: { url: string; clientIdPrefix: string; username?: string; password?: string },
  suffix: string,
  service: string,
  opts: Pick<BusOptions, 'clean' | 'instance' | 'session'> = {},
): MqttClient {
  return connectBus({
    url: mqtt.url,
    clientId: `${mqtt.clientIdPrefix}-${suffix}`,
    service,
    username: mqtt.username,
    password: mqtt.password,
    ...opts,
  });
}

/**
 * End a connection at shutdown. While connected, a graceful end flushes what is in flight; while
 * the broker is away mqtt.js's graceful end waits for a connection that may never come (a service
 * that would not exit on SIGTERM), so then it ends at once: an in-memory queue is gone either way.
 */
export async function closeBusClient(client: MqttClient): Promise<void> {
  await client.endAsync(!client.connected).catch(() => undefined);
}
