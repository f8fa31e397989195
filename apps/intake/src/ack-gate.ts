import { holdPubacks, type OutgoingPacket } from '@cicenns/bus';
import type { MqttClient } from 'mqtt';

export interface AckGateOptions {
  /**
   * Forward once this many messages are waiting for their acknowledgement. Keep it at most half
   * the broker's max_inflight_messages (deploy/mosquitto: 1000): the broker sends no more than
   * that unacknowledged, and half lets the next messages arrive while a forward is on its way.
   */
  window: number;
  /** forward when no message came for this long (the stream paused, or the broker's window is smaller) */
  idleMs: number;
  /** and at the latest this long after the oldest waiting message */
  maxDelayMs: number;
}

/** Publishes everything taken so far; `acked` once the broker holds it (err: it does not). */
export type Forward = (acked: (err?: Error) => void) => void;

type Packet = OutgoingPacket;
interface Group {
  acks: Packet[];
  done: boolean;
  err?: Error;
}

/**
 * Holds the PUBACKs of a subscription until the readings taken from those messages are held by
 * the broker (our forward of them is acknowledged). A crash in between then means the broker
 * delivers the messages again after the restart (a duplicate reading, stored once by InfluxDB),
 * never that a message acknowledged to the broker is gone with the process. Acks are released in
 * the order the messages came, as MQTT requires; those of a dropped connection are discarded (the
 * broker redelivers those messages). The PUBACKs are taken from mqtt.js by holdPubacks
 * (@cicenns/bus).
 */
export class AckGate {
  private waiting: Packet[] = [];
  private readonly forwarding: Group[] = [];
  private readonly send: (puback: Packet) => void;
  private timer?: NodeJS.Timeout;
  private messages = 0;
  private messagesAtArm = 0;
  private firstWaitingAt = 0;

  constructor(
    client: MqttClient,
    private readonly forward: Forward,
    private readonly opts: AckGateOptions,
  ) {
    this.send = holdPubacks(client, { held: (p) => this.hold(p), dropped: () => this.dropAcks() });
  }

  /** Count each incoming message, for the idle check. */
  noteMessage(): void {
    this.messages++;
  }

  /** acknowledgements not yet sent */
  get held(): number {
    return this.waiting.length + this.forwarding.reduce((n, g) => n + g.acks.length, 0);
  }

  /** Forward what is waiting and send the acks once it is held; for a clean shutdown. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.waiting.length > 0) this.forwardNow();
    const until = Date.now() + timeoutMs;
    while (this.forwarding.length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  }

  private hold(puback: Packet): void {
    if (this.waiting.length === 0) this.firstWaitingAt = Date.now();
    this.waiting.push(puback);
    if (this.waiting.length >= this.opts.window) this.forwardNow();
    else if (!this.timer) this.arm();
  }

  private arm(): void {
    this.messagesAtArm = this.messages;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.waiting.length === 0) return;
      const idle = this.messages === this.messagesAtArm;
      if (idle || Date.now() - this.firstWaitingAt >= this.opts.maxDelayMs) this.forwardNow();
      else this.arm();
    }, this.opts.idleMs);
  }

  private forwardNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const group: Group = { acks: this.waiting, done: false };
    this.waiting = [];
    this.forwarding.push(group);
    this.forward((err) => {
      group.done = true;
      group.err = err;
      this.release();
    });
  }

  private release(): void {
    while (this.forwarding.length > 0 && this.forwarding[0].done) {
      const group = this.forwarding.shift()!;
      if (!group.err) for (const puback of group.acks) this.send(puback);
    }
  }

  private dropAcks(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = [];
    for (const group of this.forwarding) group.acks = [];
  }
}
