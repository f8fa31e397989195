import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { FakePubackClient } from '../../../test/support/fake-puback-client';
import { AckGate } from './ack-gate';

/** The fake client, and what mqtt.js does for each QoS 1 message once it is handled. */
class FakeClient extends FakePubackClient {
  receive(messageId: number, gate: AckGate): void {
    gate.noteMessage();
    this.sendPuback(messageId);
  }
}

const acksWritten = (c: FakeClient) => c.acksWritten;

describe('AckGate', () => {
  let client: FakeClient;
  let forwards: ((err?: Error) => void)[];
  let gate: AckGate;

  beforeEach(() => {
    jest.useFakeTimers();
    client = new FakeClient();
    forwards = [];
    gate = new AckGate(client as unknown as MqttClient, (acked) => forwards.push(acked), {
      window: 3,
      idleMs: 2,
      maxDelayMs: 50,
    });
  });
  afterEach(() => jest.useRealTimers());

  it('sends no PUBACK before the forward of its readings is acknowledged, then all in order', () => {
    for (const id of [1, 2, 3]) client.receive(id, gate);
    expect(acksWritten(client)).toEqual([]);
    expect(forwards).toHaveLength(1); // the window is full: forward now
    expect(gate.held).toBe(3);
    forwards[0]();
    expect(acksWritten(client)).toEqual([1, 2, 3]);
    expect(gate.held).toBe(0);
  });

  it('keeps the order when a later forward is acknowledged first', () => {
    for (const id of [1, 2, 3, 4, 5, 6]) client.receive(id, gate);
    expect(forwards).toHaveLength(2);
    forwards[1]();
    expect(acksWritten(client)).toEqual([]);
    forwards[0]();
    expect(acksWritten(client)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('forwards when the stream pauses, and at the latest after maxDelayMs while it trickles', () => {
    client.receive(1, gate);
    jest.advanceTimersByTime(2);
    expect(forwards).toHaveLength(1); // idle for 2 ms
    forwards[0]();
    expect(acksWritten(client)).toEqual([1]);

    client.receive(2, gate);
    for (let t = 0; t < 48; t++) {
      jest.advanceTimersByTime(1);
      gate.noteMessage(); // other traffic keeps the stream busy, the window never fills
    }
    expect(forwards).toHaveLength(1);
    jest.advanceTimersByTime(4);
    expect(forwards).toHaveLength(2);
  });

  it('does not acknowledge what could not be forwarded, nor acks of a closed connection', () => {
    for (const id of [1, 2, 3]) client.receive(id, gate);
    forwards[0](new Error('client ended'));
    expect(acksWritten(client)).toEqual([]);

    for (const id of [4, 5, 6]) client.receive(id, gate);
    client.connected = false;
    client.emit('close'); // the broker redelivers 4-6 on the next connection
    client.receive(7, gate); // handled after the drop: not acknowledged on the next connection
    forwards[1]();
    expect(acksWritten(client)).toEqual([]);
    expect(gate.held).toBe(0);
  });

  it('passes every other packet straight through', () => {
    client._sendPacket({ cmd: 'publish', messageId: 9 });
    client._sendPacket({ cmd: 'pingreq' });
    expect(client.written.map((p) => p.cmd)).toEqual(['publish', 'pingreq']);
  });

  it('refuses to start on an mqtt.js without the hook, rather than acknowledging early', () => {
    expect(
      () => new AckGate(new EventEmitter() as unknown as MqttClient, () => undefined, gateOptions()),
    ).toThrow(/cannot hold PUBACKs/);
  });
});

function gateOptions() {
  return { window: 3, idleMs: 2, maxDelayMs: 50 };
}
