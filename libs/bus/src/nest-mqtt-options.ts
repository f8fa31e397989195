import type { MqttClientOptions } from '@nestjs/microservices/external/mqtt-options.interface';
import { mqttClientDefaults } from './mqtt-connection';

export interface BrokerSettings {
  url: string;
  clientIdPrefix: string;
  username?: string;
  password?: string;
}

/**
 * Options for Nest's MQTT transport as our services need them: a fixed client id, MQTT 3.1.1
 * (the demo's embedded broker speaks only that), reconnects; servers keep a persistent session
 * and subscribe at QoS 1 so the broker holds their messages while they restart.
 */
export function nestMqttOptions(
  mqtt: BrokerSettings,
  clientIdSuffix: string,
  role: 'server' | 'client',
): MqttClientOptions & { url: string; subscribeOptions?: { qos: 0 | 1 | 2 } } {
  return {
    url: mqtt.url,
    clientId: `${mqtt.clientIdPrefix}-${clientIdSuffix}`,
    clean: role === 'client',
    protocolVersion: 4,
    reconnectPeriod: 1000,
    username: mqtt.username,
    password: mqtt.password,
    ...mqttClientDefaults(),
    ...(role === 'server' && { subscribeOptions: { qos: 1 as const } }),
  };
}
