import { loadSystemConfig } from '@cicenns/model';
import { connect, type Socket } from 'node:net';
import ModbusRTU from 'modbus-serial';
import { FaultRegistry } from '../faults/fault-registry';
import { DetectorSim } from '../physics/detector-sim';
import { HvStatus } from '../physics/hv-channel';
import { Random } from '@cicenns/common';
import { ModbusTcpServer } from './modbus-tcp-server';
import { SlaveSet } from './slave-set';

const config = loadSystemConfig(undefined, {});

describe('ModbusTcpServer', () => {
  const faults = new FaultRegistry(config);
  const sim = new DetectorSim(config, faults, new Random(11), { noise: 0, coincWindowNs: 100 }, Date.now());
  const slaves = new SlaveSet(
    config.app.devices.filter((d) => d.link === 'hv-gw'),
    config.profiles,
    sim,
    faults,
  );
  const server = new ModbusTcpServer(slaves);
  const client = new ModbusRTU();
  let port = 0;

  beforeAll(async () => {
    port = await server.listen('127.0.0.1', 0);
    await client.connectTCP('127.0.0.1', { port });
    client.setTimeout(400);
  });
  afterAll(async () => {
    await new Promise<void>((r) => client.close(() => r()));
    await server.close();
  });
  afterEach(() => faults.clear());

  const read = (unit: number, addr: number, n: number) => {
    client.setID(unit);
    return client.readHoldingRegisters(addr, n);
  };

  it('serves both crates, writes take effect', async () => {
    const r = await read(1, 3 * 16, 10);
    expect(r.buffer.readFloatBE(8)).toBeCloseTo(1400, 3); // vmon, ABCD
    expect(r.data[8]).toBe(HvStatus.on);
    client.setID(2);
    await client.writeRegister(7 * 16 + 9, 0);
    expect(sim.hvChannel('hv-veto', 7)!.power).toBe(0);
    const v = Buffer.alloc(4);
    v.writeFloatBE(880);
    await client.writeRegisters(7 * 16, [v.readUInt16BE(0), v.readUInt16BE(2)]);
    expect(sim.hvChannel('hv-veto', 7)!.vset).toBeCloseTo(880, 3);
    await expect(read(1, 40 * 16, 2)).rejects.toMatchObject({ modbusCode: 2 });
  });

  it('crate-silent silences one unit only, on the same connection', async () => {
    faults.add({ type: 'crate-silent', device: 'hv-crystal' });
    await expect(read(1, 0, 2)).rejects.toMatchObject({ name: 'TransactionTimedOutError' });
    expect((await read(2, 0, 2)).data).toHaveLength(2);
  });

  it('modbus-malformed spoils replies of that unit; modbus-slow delays them', async () => {
    faults.add({ type: 'modbus-malformed', device: 'hv-veto' });
    const errors = await Promise.all(
      [0, 1].map(async () => {
        try {
          await read(2, 0, 4);
          return 'ok';
        } catch (e) {
          return (e as Error).message;
        }
      }),
    );
    // alternately a byte count that does not match and an illegal function code
    expect(errors.join('|')).toMatch(/Data length error/);
    expect(errors.join('|')).toMatch(/Unexpected data error/);
    expect((await read(1, 0, 2)).data).toHaveLength(2);
    faults.clear();
    faults.add({ type: 'modbus-slow', device: 'hv-crystal', delayMs: 200 });
    const t0 = Date.now();
    await read(1, 0, 2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  describe('on a raw socket', () => {
    /** An MBAP request frame: transaction id, protocol 0, length, unit, PDU. */
    const frame = (tid: number, unit: number, pdu: number[]): Buffer =>
      Buffer.from([tid >> 8, tid & 0xff, 0, 0, 0, pdu.length + 1, unit, ...pdu]);
    let sock: Socket;
    let got: Buffer;
    beforeEach(async () => {
      got = Buffer.alloc(0);
      sock = connect(port, '127.0.0.1');
      sock.on('data', (d) => (got = Buffer.concat([got, d])));
      await new Promise((r) => sock.once('connect', r));
    });
    afterEach(() => sock.destroy());
    const replies = async (bytes: number) => {
      for (let i = 0; i < 100 && got.length < bytes; i++) await new Promise((r) => setTimeout(r, 10));
      return got;
    };

    it('answers requests merged in one packet and one split over two, each with its transaction id', async () => {
      const third = frame(3, 2, [3, 0, 0, 0, 1]);
      sock.write(
        Buffer.concat([frame(1, 1, [3, 0, 0, 0, 2]), frame(2, 2, [4, 0, 0, 0, 1]), third.subarray(0, 5)]),
      );
      await new Promise((r) => setTimeout(r, 20));
      sock.write(third.subarray(5));
      const out = await replies(13 + 11 + 11);
      expect(out.readUInt16BE(0)).toBe(1);
      expect([...out.subarray(6, 9)]).toEqual([1, 3, 4]);
      // FC4 on a unit with no input registers is an exception; the third is answered all the same
      expect(out.readUInt16BE(13)).toBe(2);
      expect(out[20] & 0x80).toBe(0x80);
      expect(out.readUInt16BE(22)).toBe(3);
    });

    it('exceptions: no such unit (0x0B), unknown function (1), FC16 byte count that does not match (3)', async () => {
      sock.write(frame(1, 99, [3, 0, 0, 0, 1]));
      sock.write(frame(2, 1, [43, 14, 1, 0]));
      sock.write(frame(3, 2, [16, 0, 7 * 16 + 9, 0, 1, 4, 0, 0]));
      const out = await replies(27);
      expect([...out.subarray(0, 9)]).toEqual([0, 1, 0, 0, 0, 3, 99, 0x83, 0x0b]);
      expect([...out.subarray(9 + 6, 18)]).toEqual([1, 43 | 0x80, 1]);
      expect([...out.subarray(18 + 6, 27)]).toEqual([2, 0x90, 3]);
    });

    it('a frame longer than Modbus allows closes that socket, counted; the server keeps serving', async () => {
      const before = server.badFrames;
      const closed = new Promise((r) => sock.once('close', r));
      sock.write(Buffer.from([0, 1, 0, 0, 1, 0, 1, 3]));
      await closed;
      expect(server.badFrames).toBe(before + 1);
      expect((await read(1, 0, 2)).data).toHaveLength(2);
    });
  });
});
