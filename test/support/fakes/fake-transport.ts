import type { Table } from '@cicenns/modbus';
import type { ModbusTransport } from '../../../apps/poller/src/links/modbus-transport';

/**
 * An in-memory ModbusTransport for unit tests: register tables per unit id, and switches that
 * make it refuse connections, time out, answer with an exception or garbage, or drop.
 */
export class FakeTransport implements ModbusTransport {
  isOpen = false;
  opens = 0;
  /** transactions on the wire right now (must never exceed 1) */
  active = 0;
  maxActive = 0;
  refuse = false;
  mode: 'ok' | 'timeout' | 'exception' | 'malformed' = 'ok';
  delayMs = 0;
  readonly tables = new Map<string, number[]>();
  readonly writes: { unitId: number; address: number; values: number[] }[] = [];
  readonly reads: { unitId: number; table: Table; address: number; count: number }[] = [];
  private closeListeners: ((r: string) => void)[] = [];

  table(unitId: number, table: Table): number[] {
    const key = `${unitId}/${table}`;
    if (!this.tables.has(key)) this.tables.set(key, new Array<number>(65536).fill(0));
    return this.tables.get(key)!;
  }

  async open(): Promise<void> {
    this.opens++;
    if (this.refuse) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    this.isOpen = true;
  }

  async close(): Promise<void> {
    this.isOpen = false;
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  /** The peer closes the connection. */
  drop(): void {
    this.isOpen = false;
    for (const l of this.closeListeners) l('connection closed by peer');
  }

  async read(unitId: number, table: Table, address: number, count: number): Promise<number[]> {
    this.reads.push({ unitId, table, address, count });
    await this.transaction();
    return this.table(unitId, table).slice(address, address + count);
  }

  async write(unitId: number, address: number, values: number[]): Promise<void> {
    await this.transaction();
    this.writes.push({ unitId, address, values });
    this.table(unitId, 'holding').splice(address, values.length, ...values);
  }

  private async transaction(): Promise<void> {
    if (!this.isOpen) throw Object.assign(new Error('Port Not Open'), { errno: 'ECONNREFUSED' });
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await new Promise((r) => setTimeout(r, this.delayMs));
      // modbus-serial's timeout is a plain object, not an Error
      if (this.mode === 'timeout')
        throw { name: 'TransactionTimedOutError', message: 'Timed out', errno: 'ETIMEDOUT' };
      if (this.mode === 'exception') {
        throw Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 });
      }
      if (this.mode === 'malformed') throw new Error('Data length error, expected 15 got 13');
    } finally {
      this.active--;
    }
  }
}
