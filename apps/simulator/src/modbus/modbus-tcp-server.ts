import type { Server, Socket } from 'node:net';
import { ServerTCP, type IServiceVector } from 'modbus-serial';
import { ExceptionCode } from './modbus-exception';
import type { SlaveSet } from './slave-set';

type Cb<T> = (err: Error | null, value: T) => void;

/**
 * Modbus TCP gateway answering for every unit id on one link, on modbus-serial's ServerTCP.
 *
 * Faults: ServerTCP parses each request in its own setTimeout and writes the reply whenever
 * the vector's callback fires, so a callback that is never called silences only that
 * request: other unit ids on the same socket keep answering (crate-silent). A slow device
 * calls back later. ServerTCP builds replies itself, so to send garbage (modbus-malformed) we
 * wrap each accepted socket's write and spoil replies from faulted unit ids.
 */
export class ModbusTcpServer {
  private server?: ServerTCP;
  private malformedCount = 0;

  constructor(private readonly slaves: SlaveSet) {}

  async listen(host: string, port: number): Promise<number> {
    const server = new ServerTCP(this.vector(), { host, port, unitID: 255 });
    this.server = server;
    // ServerTCP's own net.Server is not part of its typed API, but is needed for the bound port
    // and the socket hook (modbus-serial 8.x servers/servertcp.js).
    const net = (server as unknown as { _server: Server })._server;
    net.on('connection', (sock: Socket) => this.hookMalformed(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('initialized', () => resolve());
      server.once('serverError', (err) => reject(err));
    });
    const addr = net.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private vector(): IServiceVector {
    const read =
      (table: 'holding' | 'input') =>
      (addr: number, length: number, unitID: number, cb: Cb<number[]>): void =>
        this.serve(unitID, cb, () => this.slaves.read(unitID, table, addr, length));
    const readOne =
      (table: 'holding' | 'input') =>
      (addr: number, unitID: number, cb: Cb<number>): void =>
        this.serve(unitID, cb, () => this.slaves.read(unitID, table, addr, 1)[0]);
    return {
      getMultipleHoldingRegisters: read('holding'),
      getMultipleInputRegisters: read('input'),
      getHoldingRegister: readOne('holding'),
      getInputRegister: readOne('input'),
      setRegister: (addr: number, value: number, unitID: number, cb: (err: Error | null) => void) =>
        this.serve(unitID, cb, () => this.slaves.write(unitID, addr, [value])),
      setRegisterArray: (addr: number, values: number[], unitID: number, cb: (err: Error | null) => void) =>
        this.serve(unitID, cb, () => this.slaves.write(unitID, addr, values)),
    };
  }

  private serve<T>(unitID: number, cb: Cb<T>, fn: () => T): void {
    if (!this.slaves.hasUnit(unitID)) {
      // a gateway with nothing behind this unit id
      cb(
        Object.assign(new Error(`no unit ${unitID}`), { modbusErrorCode: ExceptionCode.gatewayTargetFailed }),
        [] as T,
      );
      return;
    }
    const b = this.slaves.behaviour(unitID);
    if (b.silent) return; // never answer: the client times out
    const run = () => {
      try {
        cb(null, fn());
      } catch (err) {
        // ServerTCP turns err.modbusErrorCode into an exception reply; [] keeps its FC4 path from throwing
        cb(err as Error, [] as T);
      }
    };
    if (b.delayMs > 0) setTimeout(run, b.delayMs);
    else run();
  }

  private hookMalformed(sock: Socket): void {
    const write = sock.write.bind(sock) as (data: Buffer) => boolean;
    sock.write = ((data: Buffer) => {
      // MBAP (7 bytes, unit id at 6) + PDU (function code at 7)
      if (Buffer.isBuffer(data) && data.length >= 9 && this.slaves.behaviour(data[6]).malformed) {
        return write(corruptTcpReply(data, this.malformedCount++));
      }
      return write(data);
    }) as typeof sock.write;
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
