import { loadSystemConfig } from '@cicenns/model';
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
});
