import ModbusRTU from 'modbus-serial';
import type { LinkConfig } from '@cicenns/model';
import type { Table } from '@cicenns/modbus';
import { TransactionError } from './transaction-error';

/** One physical connection to Modbus devices. Not safe for concurrent calls: see SerialQueue. */
export interface ModbusTransport {
  readonly isOpen: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  /** called when an open connection drops by itself (peer closed, reset, cable pulled) */
  onClose(listener: (reason: string) => void): void;
  read(unitId: number, table: Table, address: number, count: number, timeoutMs: number): Promise<number[]>;
  write(unitId: number, address: number, values: number[], timeoutMs: number): Promise<void>;
}

export type TransportFactory = (link: LinkConfig) => ModbusTransport;

/** How long a connect may take before we give up on it (modbus-serial has no connect timeout). */
const connectTimeoutMs = (link: LinkConfig) => Math.max(2000, link.timeoutMs * 2);

/**
 * modbus-serial behind ModbusTransport. A fresh client per open(): modbus-serial never
 * reconnects by itself and a closed client cannot be reopened reliably.
 * Link types: tcp = Modbus TCP (MBAP); rtu-over-tcp = raw RTU frames with CRC through a serial
 * device server, which in modbus-serial is connectTelnet (its "TcpRTUBuffered" port sends MBAP
 * headers, i.e. Modbus TCP, despite the name); rtu = a local serial line.
 */
export class ModbusSerialTransport implements ModbusTransport {
  private client?: ModbusRTU;
  private readonly closeListeners: ((reason: string) => void)[] = [];
  /** rejects the transaction in flight when the connection drops, instead of waiting for its timeout */
  private abortInFlight?: (err: Error) => void;

  constructor(private readonly link: LinkConfig) {}

  get isOpen(): boolean {
    return this.client?.isOpen === true;
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  async open(): Promise<void> {
    await this.close();
    const client = new ModbusRTU();
    // modbus-serial re-emits serial port errors on the client: without a listener they would crash us
    client.on('error', () => undefined);
    this.client = client;
    const link = this.link;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`connect timeout after ${connectTimeoutMs(link)} ms`));
      }, connectTimeoutMs(link));
      const done = (err?: unknown) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      try {
        if (link.type === 'tcp') client.connectTCP(link.host, { port: link.port }, done);
        else if (link.type === 'rtu-over-tcp') client.connectTelnet(link.host, { port: link.port }, done);
        else {
          client.connectRTUBuffered(
            link.path,
            {
              baudRate: link.baudRate,
              dataBits: link.dataBits,
              stopBits: link.stopBits,
              parity: link.parity,
            },
            done,
          );
        }
      } catch (err) {
        done(err);
      }
    }).catch(async (err: unknown) => {
      await this.close();
      throw err;
    });
    client.setTimeout(link.timeoutMs);
    client.on('close', () => {
      if (this.client !== client) return; // an old client we already replaced
      this.abortInFlight?.(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
      for (const l of this.closeListeners) l('connection closed by peer');
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      try {
        // TCP ports have destroy(); the serial port only close() (destroy() would not close it)
        if (this.link.type === 'rtu') client.close(done);
        else client.destroy(done);
      } catch {
        done();
      }
    });
  }

  read(unitId: number, table: Table, address: number, count: number, timeoutMs: number): Promise<number[]> {
    return this.transact(timeoutMs, async (c) => {
      c.setID(unitId);
      const r =
        table === 'holding'
          ? await c.readHoldingRegisters(address, count)
          : await c.readInputRegisters(address, count);
      if (!Array.isArray(r.data) || r.data.length !== count) {
        throw new TransactionError(
          'malformed',
          `malformed reply: ${count} registers asked, ${r.data?.length ?? 0} received`,
        );
      }
      return r.data;
    });
  }

  write(unitId: number, address: number, values: number[], timeoutMs: number): Promise<void> {
    return this.transact(timeoutMs, async (c) => {
      c.setID(unitId);
      await c.writeRegisters(address, values);
    });
  }

  private transact<T>(timeoutMs: number, op: (c: ModbusRTU) => Promise<T>): Promise<T> {
    const client = this.client;
    if (!client || !client.isOpen)
      return Promise.reject(new TransactionError('link', 'link down: port not open'));
    client.setTimeout(timeoutMs);
    return new Promise<T>((resolve, reject) => {
      // a guard in case modbus-serial never calls back (its own timer covers the normal case)
      const guard = setTimeout(
        () => finish(Object.assign(new Error('Timed out'), { errno: 'ETIMEDOUT' })),
        timeoutMs + 1000,
      );
      let settled = false;
      const finish = (err: unknown, value?: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        this.abortInFlight = undefined;
        if (err) reject(err);
        else resolve(value as T);
      };
      this.abortInFlight = (err) => finish(err);
      op(client).then(
        (v) => finish(undefined, v),
        (e: unknown) => finish(e ?? new Error('unknown error')),
      );
    });
  }
}
