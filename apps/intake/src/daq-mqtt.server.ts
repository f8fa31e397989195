import { ServerMqtt, type MqttOptions } from '@nestjs/microservices';
import type { ConsumerDeserializer, IncomingEvent } from '@nestjs/microservices';

/** What our handlers receive: the payload exactly as published. */
export interface RawDaqMessage {
  topic: string;
  payload: string;
}

/**
 * Nest's default MQTT deserializer treats a JSON payload with a top-level `data` or `pattern`
 * key as Nest's own envelope and mangles it; the DAQ is an external publisher, so we take the
 * payload as it is and validate it ourselves.
 */
export class RawDaqDeserializer implements ConsumerDeserializer {
  deserialize(value: unknown, options?: { channel?: string }): IncomingEvent {
    const topic = options?.channel ?? '';
    return { pattern: topic, data: { topic, payload: String(value) } satisfies RawDaqMessage };
  }
}

/**
 * Nest's MQTT server with two changes: the payload is not JSON-parsed before the deserializer
 * (a 10 MB or malformed payload is the validator's business, with a counted reason), and the
 * deserializer above. Subscription QoS, client id and persistent session come from the options.
 */
export class DaqMqttServer extends ServerMqtt {
  constructor(options: Required<MqttOptions>['options']) {
    super({ ...options, deserializer: new RawDaqDeserializer() });
  }

  // Nest first tries JSON.parse on every incoming topic (patterns may be JSON objects in other
  // transports); an MQTT topic never is, so each message paid for a thrown SyntaxError.
  override getRouteFromPattern(pattern: string): string {
    return pattern;
  }

  // The base class types this as returning a Nest packet; we hand the raw text on instead.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override parseMessage(content: any): any {
    return content;
  }
}
