import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';

export interface SentPacket {
  cmd: string;
  messageId?: number;
}

/**
 * The part of mqtt.js's client that holdPubacks (libs/bus) touches: `_sendPacket`, `connected`
 * and the 'close' event; it records what is sent. For the specs of the AckGate and GroupCommit.
 */
export class FakePubackClient extends EventEmitter {
  connected = true;
  written: SentPacket[] = [];
  _sendPacket(packet: SentPacket, cb?: () => void): void {
    this.written.push(packet);
    cb?.();
  }
  /** what mqtt.js does once a QoS 1 message is handled: send its PUBACK */
  sendPuback(messageId: number): void {
    this._sendPacket({ cmd: 'puback', messageId }, () => undefined);
  }
  /** the message ids of the PUBACKs that went out */
  get acksWritten(): (number | undefined)[] {
    return this.written.filter((p) => p.cmd === 'puback').map((p) => p.messageId);
  }
  asClient(): MqttClient {
    return this as unknown as MqttClient;
  }
}
