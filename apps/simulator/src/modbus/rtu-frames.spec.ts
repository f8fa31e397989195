import { connect } from 'node:net';
import { loadSystemConfig } from '@cicenns/model';
import { FaultRegistry } from '../faults/fault-registry';
import { DetectorSim } from '../physics/detector-sim';
import { Random } from '@cicenns/common';
import { crc16, crcOk, withCrc } from './crc16';
import { corruptRtuReply, handleRtuRequest, RtuFramer } from './rtu-frames';
import { RtuOverTcpServer } from './rtu-over-tcp-server';
import { SlaveSet } from './slave-set';

const config = loadSystemConfig(undefined, {});

function setup() {
  const faults = new FaultRegistry(config);
  const sim = new DetectorSim(config, faults, new Random(3), { noise: 0, coincWindowNs: 100 }, Date.now());
  const devices = config.app.devices.filter((d) => d.link === 'temp-line');
  const slaves = new SlaveSet(devices, config.profiles, sim, faults);
  return { faults, sim, slaves };
}

const readInput = (unit: number, addr: number, count: number) =>
  withCrc(Buffer.from([unit, 4, addr >> 8, addr & 0xff, count >> 8, count & 0xff]));

describe('CRC16', () => {
  it('matches the Modbus reference value', () => {
    // 01 03 00 00 00 0A -> CRC C5 CD (low byte first)
    const f = withCrc(Buffer.from([1, 3, 0, 0, 0, 10]));
    expect(f.subarray(6).toString('hex')).toBe('c5cd');
    expect(crc16(Buffer.from([1, 3, 0, 0, 0, 10]))).toBe(0xcdc5);
    expect(crcOk(f)).toBe(true);
    f[3] ^= 1;
    expect(crcOk(f)).toBe(false);
  });
});

describe('RtuFramer', () => {
  it('joins a request split over several packets', () => {
    const fr = new RtuFramer();
    const req = readInput(11, 0, 8);
    expect(fr.push(req.subarray(0, 1), 0)).toEqual([]);
    expect(fr.push(req.subarray(1, 5), 1)).toEqual([]);
    expect(fr.push(req.subarray(5), 2)).toEqual([req]);
    expect(fr.pending).toBe(0);
  });

  it('splits two requests arriving in one packet, and frames FC16 by its byte count', () => {
    const fr = new RtuFramer();
    const a = readInput(11, 0, 2);
    const b = withCrc(Buffer.from([1, 16, 0, 0, 0, 2, 4, 0x44, 0xaf, 0, 0]));
    const frames = fr.push(Buffer.concat([a, b.subarray(0, 6)]), 0);
    expect(frames).toEqual([a]);
    expect(fr.push(b.subarray(6), 1)).toEqual([b]);
  });

  it('drops a frame with a bad CRC and resynchronises on the next packet', () => {
    const fr = new RtuFramer();
    const bad = readInput(11, 0, 8);
    bad[7] ^= 0xff;
    expect(fr.push(Buffer.concat([bad, readInput(12, 0, 1)]), 0)).toEqual([]);
    expect(fr.badFrames).toBe(1);
    expect(fr.push(readInput(12, 0, 1), 1)).toEqual([readInput(12, 0, 1)]);
  });

  it('forgets a stale partial frame (inter-frame gap)', () => {
    const fr = new RtuFramer(1000);
    fr.push(readInput(11, 0, 8).subarray(0, 3), 0);
    expect(fr.push(readInput(11, 0, 8), 5000)).toEqual([readInput(11, 0, 8)]);
  });
});

describe('handleRtuRequest', () => {
  it('reads PT100 input registers as int16 x 0.1 degC; spare inputs read 0x8000', () => {
    const { sim, slaves } = setup();
    const reply = handleRtuRequest(readInput(13, 0, 8), slaves)!;
    expect(crcOk(reply)).toBe(true);
    expect([...reply.subarray(0, 3)]).toEqual([13, 4, 16]);
    expect(reply.readInt16BE(3 + 1 * 2)).toBe(Math.round(sim.temperatureReading('T-rack')! * 10));
    expect(reply.readUInt16BE(3 + 5 * 2)).toBe(0x8000);
  });

  it('answers bad addresses with exception 2, unknown functions with 1; stays silent for other units', () => {
    const { slaves } = setup();
    expect([...handleRtuRequest(readInput(11, 6, 4), slaves)!.subarray(0, 3)]).toEqual([11, 0x84, 2]);
    const holding = withCrc(Buffer.from([11, 3, 0, 0, 0, 1]));
    expect([...handleRtuRequest(holding, slaves)!.subarray(0, 3)]).toEqual([11, 0x83, 2]);
    const fc8 = withCrc(Buffer.from([11, 8, 0, 0, 0, 0]));
    expect([...handleRtuRequest(fc8, slaves)!.subarray(0, 3)]).toEqual([11, 0x88, 1]);
    expect(handleRtuRequest(readInput(99, 0, 1), slaves)).toBeNull();
  });

  it('sensor-open reads 0x8000', () => {
    const { sim, faults, slaves } = setup();
    faults.add({ type: 'sensor-open', sensor: 'T-CsI09' });
    sim.tick(Date.now());
    const reply = handleRtuRequest(readInput(12, 0, 1), slaves)!;
    expect(reply.readUInt16BE(3)).toBe(0x8000);
  });

  it('malformed replies have a wrong byte count or a bad CRC', () => {
    const { slaves } = setup();
    const good = handleRtuRequest(readInput(11, 0, 2), slaves)!;
    const a = corruptRtuReply(good, 0);
    expect(crcOk(a)).toBe(true);
    expect(a[2]).toBe(6); // claims 6 data bytes, carries 4
    expect(crcOk(corruptRtuReply(good, 1))).toBe(false);
  });
});

describe('RtuOverTcpServer', () => {
  it('answers over TCP, with split requests, silent and slow units', async () => {
    const { faults, slaves } = setup();
    const server = new RtuOverTcpServer(slaves);
    const port = await server.listen('127.0.0.1', 0);
    const sock = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    sock.on('data', (d) => received.push(d));
    await new Promise((r) => sock.once('connect', r));
    const waitBytes = async (n: number, ms = 1000) => {
      const until = Date.now() + ms;
      while (Buffer.concat(received).length < n && Date.now() < until)
        await new Promise((r) => setTimeout(r, 10));
      const all = Buffer.concat(received);
      received.length = 0;
      return all;
    };
    try {
      const req = readInput(11, 0, 2);
      sock.write(req.subarray(0, 3));
      await new Promise((r) => setTimeout(r, 30));
      sock.write(req.subarray(3));
      const reply = await waitBytes(9);
      expect(reply.length).toBe(9);
      expect(crcOk(reply)).toBe(true);

      faults.add({ type: 'crate-silent', device: 'pt100-1' });
      sock.write(readInput(11, 0, 1));
      expect((await waitBytes(1, 300)).length).toBe(0);
      sock.write(readInput(12, 0, 1)); // the other transmitters on the line still answer
      expect((await waitBytes(7)).subarray(0, 2)).toEqual(Buffer.from([12, 4]));

      faults.add({ type: 'modbus-slow', device: 'pt100-3', delayMs: 300 });
      const t0 = Date.now();
      sock.write(readInput(13, 0, 1));
      expect((await waitBytes(7)).length).toBe(7);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    } finally {
      sock.destroy();
      await server.close();
    }
  });
});
