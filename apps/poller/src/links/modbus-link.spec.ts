import type { LinkConfig } from '@cicenns/model';
import { FakeTransport } from '../../../../test/support/fakes/fake-transport';
import type { Logger } from '../logger';
import { ModbusLink } from './modbus-link';
import { classifyError } from './transaction-error';

const link: LinkConfig = {
  id: 'hv-gw',
  type: 'tcp',
  host: '127.0.0.1',
  port: 1,
  timeoutMs: 1000,
  retries: 1,
  backoff: { initialMs: 100, maxMs: 400 },
};

function setup() {
  const t = new FakeTransport();
  const lines: string[] = [];
  const log: Logger = { log: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  let now = 1_000_000;
  const l = new ModbusLink(link, t, { log, retryPauseMs: 0, now: () => now });
  return { t, l, lines, advance: (ms: number) => (now += ms) };
}

describe('ModbusLink', () => {
  it('serializes reads of several devices: never two transactions on the wire', async () => {
    const { t, l } = setup();
    t.delayMs = 1;
    t.table(1, 'holding')[4] = 7;
    const reads = Array.from({ length: 30 }, (_, i) => l.read(1 + (i % 2), 'holding', 4, 1));
    const results = await Promise.all(reads);
    expect(t.maxActive).toBe(1);
    expect(results[0]).toEqual([7]);
    expect(t.opens).toBe(1);
  });

  it('retries a timeout per link.retries, then fails with the reason; the queue goes on', async () => {
    const { t, l } = setup();
    t.mode = 'timeout';
    const stats = { transactions: 0 };
    await expect(l.read(1, 'holding', 0, 2, { stats })).rejects.toThrow('timeout after 1000 ms');
    expect(stats.transactions).toBe(2);
    expect(l.counters).toMatchObject({ transactions: 2, timeouts: 2, failures: 1 });
    t.mode = 'ok';
    await expect(l.read(1, 'holding', 0, 2)).resolves.toEqual([0, 0]);
    expect(l.state).toBe('up');
  });

  it('does not retry a Modbus exception (the device has answered)', async () => {
    const { t, l } = setup();
    t.mode = 'exception';
    const stats = { transactions: 0 };
    await expect(l.read(1, 'input', 100, 2, { stats })).rejects.toThrow(
      'modbus exception 2 (illegal data address)',
    );
    expect(stats.transactions).toBe(1);
    expect(l.state).toBe('up');
  });

  it('refused connection: down with the reason, fails fast during back-off, reconnects after it', async () => {
    const { t, l, lines, advance } = setup();
    t.refuse = true;
    await expect(l.read(1, 'holding', 0, 1)).rejects.toThrow('link down: ECONNREFUSED');
    expect(l.state).toBe('down');
    expect(l.detail).toBe('ECONNREFUSED');
    await expect(l.read(1, 'holding', 0, 1)).rejects.toThrow('link down: ECONNREFUSED');
    expect(t.opens).toBe(1); // inside the back-off: not even tried
    advance(120);
    await expect(l.read(1, 'holding', 0, 1)).rejects.toThrow('link down');
    expect(t.opens).toBe(2);
    t.refuse = false;
    advance(250); // second delay is 200..220 ms
    await expect(l.read(1, 'holding', 0, 1)).resolves.toEqual([0]);
    expect(l.state).toBe('up');
    // one line for going down (not one per failed attempt), one for coming up
    expect(lines.filter((x) => /down/.test(x))).toHaveLength(1);
    expect(lines.filter((x) => /up/.test(x))).toHaveLength(1);
  });

  it('a dropped connection marks the link down at once, and counts the reconnect', async () => {
    const { t, l, advance } = setup();
    await l.read(1, 'holding', 0, 1);
    t.drop();
    expect(l.state).toBe('down');
    expect(l.detail).toBe('connection closed by peer');
    advance(200);
    await l.read(1, 'holding', 0, 1);
    expect(l.state).toBe('up');
    expect(l.counters.reconnects).toBe(1);
  });

  it('repeated timeouts close and reopen the connection', async () => {
    const { t, l, advance } = setup();
    t.mode = 'timeout';
    for (let i = 0; i < 3; i++) await expect(l.read(1, 'holding', 0, 1)).rejects.toThrow('timeout');
    expect(l.state).toBe('down');
    expect(l.detail).toMatch(/3 transactions timed out in a row/);
    t.mode = 'ok';
    advance(200);
    await expect(l.read(1, 'holding', 0, 1)).resolves.toEqual([0]);
    expect(t.opens).toBe(2);
  });

  it('a write goes through the same queue, ahead of queued reads', async () => {
    const { t, l } = setup();
    t.delayMs = 1;
    const order: string[] = [];
    const r1 = l.read(1, 'holding', 0, 1).then(() => order.push('r1'));
    const r2 = l.read(1, 'holding', 0, 1).then(() => order.push('r2'));
    const w = l.write(1, 0, [42]).then(() => order.push('w'));
    await Promise.all([r1, r2, w]);
    expect(order).toEqual(['r1', 'w', 'r2']);
    expect(t.maxActive).toBe(1);
  });
});

describe('classifyError', () => {
  it.each([
    [{ message: 'Timed out', errno: 'ETIMEDOUT' }, 'timeout', 'timeout after 500 ms'],
    [
      Object.assign(new Error('x'), { modbusCode: 11 }),
      'exception',
      'modbus exception 11 (gateway target device failed to respond)',
    ],
    [new Error('CRC error'), 'malformed', 'malformed reply: CRC error'],
    [
      new Error('Data length error, expected 15 got 13'),
      'malformed',
      'malformed reply: Data length error, expected 15 got 13',
    ],
    [{ message: 'Port Not Open', errno: 'ECONNREFUSED' }, 'link', 'link down: port not open'],
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'link', 'link down: ECONNRESET'],
  ])('%j -> %s', (err, kind, message) => {
    const e = classifyError(err, 500);
    expect(e.kind).toBe(kind);
    expect(e.message).toBe(message);
  });
});
