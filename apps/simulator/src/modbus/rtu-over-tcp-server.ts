import type { Socket } from 'node:net';
import { TcpListener } from './tcp-listener';
import { corruptRtuReply, handleRtuRequest, RtuFramer } from './rtu-frames';
import type { SlaveSet } from './slave-set';

/**
 * A serial device server: Modbus RTU frames (unit, function, data, CRC; no MBAP header)
 * carried over TCP. Requests on one connection are answered strictly one after another,
 * like on the half-duplex RS-485 line it stands for, so a slow slave delays the line.
 */
export class RtuOverTcpServer {
  private readonly listener = new TcpListener((sock) => this.onConnection(sock));
  private malformedCount = 0;

  constructor(private readonly slaves: SlaveSet) {}

  /** Resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return this.listener.listen(host, port);
  }

  close(): Promise<void> {
    return this.listener.close();
  }

  private onConnection(sock: Socket): void {
    const framer = new RtuFramer();
    let line = Promise.resolve();
    sock.on('error', () => sock.destroy());
    sock.on('data', (data) => {
      for (const frame of framer.push(data)) {
        line = line.then(() => this.answer(sock, frame));
      }
    });
  }

  private async answer(sock: Socket, frame: Buffer): Promise<void> {
    const unit = frame[0];
    const b = this.slaves.behaviour(unit);
    if (b.silent) return;
    if (b.delayMs > 0) await new Promise((r) => setTimeout(r, b.delayMs));
    // computed after the delay: a slow device answers with the value of when it answers
    let reply = handleRtuRequest(frame, this.slaves);
    if (!reply) return;
    if (b.malformed) reply = corruptRtuReply(reply, this.malformedCount++);
    if (!sock.destroyed) sock.write(reply);
  }
}
