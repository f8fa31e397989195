import { connect, type IClientOptions } from 'mqtt';
import { mqttClientDefaults } from './mqtt-connection';
import { shareGroupOf, type ScaleOutConfig } from '@cicenns/model';

/**
 * How one process of a service that may run as several (intake, historian) meets the broker.
 * The single instance (no instance id) is exactly the historical shape: `<prefix>-<service>`,
 * MQTT 3.1.1, plain subscriptions. One of several: `<prefix>-<service>-<instance>`, MQTT 5 with
 * a session that outlives the connection, and `$share/<group>/<topic>` subscriptions, so that
 * the broker hands each message to one member of the group.
 */
export interface ServiceInstance {
  /** '' = the single instance */
  readonly instance: string;
  /** the share group of this service (used only with an instance) */
  readonly group: string;
  readonly sessionExpirySeconds: number;
}

export function serviceInstance(
  cfg: { mqtt: { clientIdPrefix: string }; scaleOut: ScaleOutConfig },
  service: string,
): ServiceInstance {
  const { scaleOut } = cfg;
  return {
    instance: scaleOut.instance,
    group: shareGroupOf(scaleOut, cfg.mqtt.clientIdPrefix, service),
    sessionExpirySeconds: scaleOut.sessionExpirySeconds,
  };
}

/** A client id suffix of this instance: `intake` -> `intake-2`. */
export function instanceSuffix(suffix: string, inst: ServiceInstance): string {
  return inst.instance ? `${suffix}-${inst.instance}` : suffix;
}

/** The subscriptions of this instance: shared by the group when it is one of several. */
export function instanceTopics(topics: readonly string[], inst: ServiceInstance): string[] {
  return inst.instance ? topics.map((t) => `$share/${inst.group}/${t}`) : [...topics];
}

/**
 * Session options of the connection that takes the shared messages. MQTT 5 ends a session at
 * disconnect unless it has a session expiry: without one, a killed instance's unacknowledged
 * messages would be dropped with its session instead of waiting for its restart.
 * `receiveMaximum` bounds what the broker sends unacknowledged (under 3.1.1 that is the
 * broker's max_inflight_messages; under MQTT 5 the client says it).
 */
export function instanceSession(
  inst: ServiceInstance,
  receiveMaximum?: number,
): Pick<IClientOptions, 'protocolVersion' | 'properties'> {
  if (!inst.instance) return { protocolVersion: 4 };
  return {
    protocolVersion: 5,
    properties: {
      sessionExpiryInterval: inst.sessionExpirySeconds,
      ...(receiveMaximum !== undefined && { receiveMaximum }),
    },
  };
}

/**
 * End a persistent session for good (an instance retired): connect with a clean start and
 * disconnect, which discards the session, its subscriptions and what it still held.
 */
export async function discardSession(
  mqtt: { url: string; username?: string; password?: string },
  clientId: string,
): Promise<void> {
  const client = connect(mqtt.url, {
    clientId,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
    username: mqtt.username,
    password: mqtt.password,
    ...mqttClientDefaults(),
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.endAsync();
}
