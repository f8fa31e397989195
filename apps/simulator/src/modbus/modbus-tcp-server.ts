import type { Socket } from 'node:net';
import { TcpListener } from './tcp-listener';
import { MbapFramer, mbapReply, type MbapRequest } from './mbap-framer';
import { ExceptionCode } from './modbus-exception';
import { answerPdu, exceptionPdu } from './pdu';
import type { SlaveSet } from './slave-set';

/** Replies a peer may leave unread before its connection is closed (about 4,000 full replies). */
const MAX_UNREAD_REPLY_BYTES = 1 << 20;

/**
 * Modbus TCP gateway answering for every unit id on one link: MBAP framing of our own over
 * node:net, the PDUs answered by answerPdu (shared with the RTU line).
 *
 * Why not modbus-serial's ServerTCP (which this was built on): it parses every request in a
 * setTimeout(0) of its own, at least 1 ms, and one poller link has one request in flight. Measured
 * (npm run bench:sim-link, 10,000 PMTs: 32 crates, 256 reads a second per gateway): ServerTCP
 * answered 641 requests a second, this responder 9,505, a bare one 12,807; so ServerTCP kept a
 * gateway link busy 40 % of every second before any CPU contention, and on a busy box crates
 * polled late (docs/PERFORMANCE.md, "Scale: sustained runs").
 *
 * Faults: a request is answered on its own, so a silent unit (crate-silent) silences only its
 * requests and other unit ids on the same socket keep answering; a slow device (modbus-slow)
 * answers later with the value of when it answers; modbus-malformed spoils the replies of that
 * unit (corruptTcpReply). A unit id with nothing behind it gets exception 0x0B, as a gateway
 * answers. A frame longer than Modbus allows closes that socket (badFrames counts them).
 */
export class ModbusTcpServer {
  private readonly listener = new TcpListener((sock) => this.onConnection(sock));
  private malformedCount = 0;
  /** connections closed for a frame Modbus does not allow, or for replies left unread beyond the bound */
  badFrames = 0;

  constructor(private readonly slaves: SlaveSet) {}

  /** Resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return this.listener.listen(host, port);
  }

  close(): Promise<void> {
    return this.listener.close();
  }

  private onConnection(sock: Socket): void {
    sock.setNoDelay(true);
    const framer = new MbapFramer();
    sock.on('error', () => sock.destroy());
    sock.on('data', (data) => {
      const requests = framer.push(data);
      if (requests === 'bad') {
        this.badFrames++;
        sock.destroy();
        return;
      }
      for (const req of requests) this.answer(sock, req);
    });
  }

  private answer(sock: Socket, req: MbapRequest): void {
    if (!this.slaves.hasUnit(req.unit)) {
      // a gateway with nothing behind this unit id
      this.send(
        sock,
        mbapReply(req.transactionId, req.unit, exceptionPdu(req.pdu[0], ExceptionCode.gatewayTargetFailed)),
      );
      return;
    }
    const b = this.slaves.behaviour(req.unit);
    if (b.silent) return; // never answer: the client times out
    // computed when it is sent: a slow device answers with the value of when it answers
    const reply = () => {
      const pdu = answerPdu(req.unit, req.pdu, this.slaves);
      const frame = mbapReply(req.transactionId, req.unit, pdu);
      this.send(sock, b.malformed ? corruptTcpReply(frame, this.malformedCount++) : frame);
    };
    if (b.delayMs > 0) setTimeout(reply, b.delayMs);
    else reply();
  }

  private send(sock: Socket, frame: Buffer): void {
    if (sock.destroyed) return;
    // a peer that sends requests and never reads the replies: bounded, not buffered for ever
    if (sock.writableLength > MAX_UNREAD_REPLY_BYTES) {
      this.badFrames++;
      sock.destroy();
      return;
    }
    sock.write(frame);
  }
}

/**
 * Garbage that still parses as MBAP: alternately a byte count that does not match the data
 * (the last register is cut off) and an illegal function code in the reply.
 */
export function corruptTcpReply(reply: Buffer, variant: number): Buffer {
  const fc = reply[7];
  if (variant % 2 === 0 && (fc === 3 || fc === 4) && reply.length >= 11) {
    const out = Buffer.from(reply.subarray(0, reply.length - 2));
    out.writeUInt16BE(out.length - 6, 4);
    return out;
  }
  const out = Buffer.from(reply);
  out[7] = 0x55;
  return out;
}
