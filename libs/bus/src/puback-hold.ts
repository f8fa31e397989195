import type { MqttClient } from 'mqtt';

/** A packet as mqtt.js's `_sendPacket` takes it (a PUBACK here: cmd 'puback' and its messageId). */
export interface OutgoingPacket {
  cmd: string;
  messageId?: number;
}
type SendPacket = (packet: OutgoingPacket, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

export interface PubackHooks {
  /** mqtt.js would have sent this PUBACK now; it is the hook's to send later (with the returned function) */
  held(puback: OutgoingPacket): void;
  /** the connection closed: the PUBACKs held mean nothing on the next one (the broker delivers those messages again) */
  dropped(): void;
}

/**
 * Takes the PUBACKs of a client's QoS 1 messages out of mqtt.js's hands, so that a service
 * acknowledges a message only once what it took from it is safe (forwarded, committed), and can
 * do that for many messages at once without stalling the stream.
 *
 * mqtt.js has no public way to acknowledge later: `handleMessage` takes one message at a time
 * and sends its PUBACK when its callback is called, so holding the callback would stop the
 * stream. Its internal `_sendPacket` is wrapped instead (checked here, so an mqtt.js that changed
 * fails loudly at start-up). Returns the function that sends a held PUBACK; send them in the order
 * they were held, as MQTT requires.
 */
export function holdPubacks(client: MqttClient, hooks: PubackHooks): (puback: OutgoingPacket) => void {
  const internals = client as unknown as { _sendPacket?: SendPacket };
  const original = internals._sendPacket;
  if (typeof original !== 'function') {
    throw new Error('mqtt.js without _sendPacket: cannot hold PUBACKs until what they acknowledge is safe');
  }
  const send = original.bind(client) as SendPacket;
  internals._sendPacket = (packet, cb, ...rest) => {
    if (packet.cmd !== 'puback') return send(packet, cb, ...rest);
    // a message handled after its connection dropped: its id means nothing on the next
    // connection, and the broker delivers the message again anyway
    if (client.connected) hooks.held(packet);
    cb?.(); // mqtt.js goes on with the next message now
  };
  client.on('close', () => hooks.dropped());
  return (puback) => send(puback);
}
