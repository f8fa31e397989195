/**
 * The simulator as a real process: an independent Modbus client (Debian's mbpoll) and
 * modbus-serial read what it serves, the test Mosquitto carries its DAQ stream, and faults
 * injected over HTTP and MQTT show up on the wire. Values are compared with /api/sim/truth.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import ModbusRTU from 'modbus-serial';
import type { MqttClient } from 'mqtt';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readServerState, startMosquitto, stopPid, waitFor } from './support/servers';
import { ServiceProcess, freePort, freePorts } from './support/processes';
import { writeTestConfig } from './support/test-config';
import { testClient } from './support/mqtt';

jest.setTimeout(60_000);

const run = promisify(execFile);
const servers = readServerState();

interface Truth {
  hv: Record<
    string,
    { vset: number; iset: number; vmon: number; imon: number; status: number; power: number }
  >;
  temperatures: Record<string, number | null>;
  dcr: Record<string, number>;
  dcrExpected: Record<string, number>;
  gain: Record<string, number>;
  gainExpected: Record<string, number>;
  coincidence: Record<string, number>;
  coincidenceExpected: Record<string, number>;
  beam: { on: boolean; power_kw: number; rep_rate_hz: number };
  faults: { id: string; type: string }[];
}

const STATUS_ON = 1 << 0;
const STATUS_TRIPPED = 1 << 6;

describe('simulator process', () => {
  let sim: ServiceProcess;
  let simUrl: string;
  let hvPort: number;
  let tempPort: number;
  let mqtt: MqttClient;
  const messages: { topic: string; payload: Record<string, unknown>; at: number }[] = [];

  const truth = async () => (await (await fetch(`${simUrl}/api/sim/truth`)).json()) as Truth;
  const post = (body: unknown) =>
    fetch(`${simUrl}/api/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    [hvPort, tempPort] = [await freePort(), await freePort()];
    const httpPort = await freePort();
    const { file } = writeTestConfig({
      hvPort,
      tempPort,
      mqttUrl: servers.mqttUrl,
      clientIdPrefix: `simtest${process.pid}`,
    });
    mqtt = await testClient(servers.mqttUrl);
    await mqtt.subscribeAsync(['cicenns/daq/#', 'cicenns/beam/status'], { qos: 1 });
    mqtt.on('message', (topic, payload) => {
      messages.push({ topic, payload: JSON.parse(payload.toString()), at: Date.now() });
    });
    sim = new ServiceProcess('simulator', {
      CICENNS_CONFIG: file,
      SIM_HTTP_PORT: String(httpPort),
      SIM_TICK_MS: '50',
      SIM_DCR_PERIOD_MS: '300',
      SIM_GAIN_PERIOD_MS: '500',
      SIM_COINC_PERIOD_MS: '300',
      SIM_BEAM_PERIOD_MS: '300',
      SIM_SEED: '12345',
    }).start();
    await sim.waitForOutput(/simulator: .*http/);
    simUrl = `http://127.0.0.1:${httpPort}`;
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await sim?.stop();
  });

  it('logs where it serves what', () => {
    expect(sim.output).toContain(
      `simulator: modbus tcp 127.0.0.1:${hvPort} (units 1,2), rtu-over-tcp 127.0.0.1:${tempPort} (units 11,12,13), http ${simUrl}, mqtt ${servers.mqttUrl}`,
    );
  });

  it('(a) an independent client (mbpoll) reads channel 3 of unit 1 as the truth says', async () => {
    // channel 3 (CsI02-B): block at 3*16, vmon at offset 4 -> PDU address 52, 1-based reference 53
    const { stdout } = await run('/usr/bin/mbpoll', [
      ...['-m', 'tcp', '-a', '1', '-r', '53', '-c', '2', '-t', '4:float', '-B', '-1', '-o', '1'],
      ...['-p', String(hvPort), '127.0.0.1'],
    ]);
    const t = await truth();
    const value = (ref: number) => Number(new RegExp(`\\[${ref}\\]:\\s+(\\S+)`).exec(stdout)?.[1]);
    const vmon = value(53);
    const imon = value(55);
    expect(Math.abs(vmon - t.hv['CsI02-B'].vmon)).toBeLessThan(0.5); // ~0.05 V noise between ticks
    expect(Math.abs(vmon - 1400)).toBeLessThan(0.5);
    expect(Math.abs(imon - t.hv['CsI02-B'].imon)).toBeLessThan(0.2);
    expect(imon).toBeCloseTo(100, 0);

    const status = await run('/usr/bin/mbpoll', [
      ...['-m', 'tcp', '-a', '2', '-r', '1', '-c', '16', '-t', '4', '-1', '-p', String(hvPort), '127.0.0.1'],
    ]);
    // unit 2 channel 0: status (ref 9) = on, power (ref 10) = 1, ramps 20 V/s, trip_time 10 x 0.1 s
    expect(status.stdout).toMatch(/\[9\]:\s+1\s/);
    expect(status.stdout).toMatch(/\[10\]:\s+1\s/);
    expect(status.stdout).toMatch(/\[11\]:\s+20\s/);
    expect(status.stdout).toMatch(/\[13\]:\s+10\s/);
  });

  it('(b) publishes DCR (both forms), gains, 15 coincidences and the beam for all 94 PMTs, matching the truth', async () => {
    const seen = () => {
      const perPmt = new Set(messages.filter((m) => /\/pmt\/.*\/dcr$/.test(m.topic)).map((m) => m.topic));
      const sweeps = messages.filter((m) => m.topic === 'cicenns/daq/dcr');
      const gains = new Set(messages.filter((m) => m.topic.endsWith('/gain')).map((m) => m.topic));
      const coinc = new Set(messages.filter((m) => m.topic.endsWith('/coincidence')).map((m) => m.topic));
      const beam = messages.filter((m) => m.topic === 'cicenns/beam/status');
      return { perPmt, sweeps, gains, coinc, beam };
    };
    await waitFor(
      'every DAQ stream',
      async () => {
        const s = seen();
        return (
          s.perPmt.size === 94 &&
          s.sweeps.length >= 2 &&
          s.gains.size === 94 &&
          s.coinc.size === 15 &&
          s.beam.length > 0
        );
      },
      10_000,
    );
    const t = await truth();
    // wait until what truth calls "last measured" has arrived here, for every PMT (no fixed sleep)
    const valuesSeen = () => {
      const v = new Map<string, Set<number>>();
      for (const m of messages) {
        const p = /^cicenns\/daq\/pmt\/(.+)\/dcr$/.exec(m.topic);
        const rates: [string, unknown][] = p
          ? [[p[1], m.payload.rate_hz]]
          : m.topic === 'cicenns/daq/dcr'
            ? Object.entries(m.payload.rates_hz as Record<string, number>)
            : [];
        for (const [pmt, r] of rates) v.set(pmt, (v.get(pmt) ?? new Set()).add(r as number));
      }
      return v;
    };
    await waitFor("the truth's last DCR of every PMT", async () => {
      const v = valuesSeen();
      return Object.keys(t.hv).every((pmt) => v.get(pmt)?.has(t.dcr[pmt]));
    });
    const s = seen();
    const sweep = s.sweeps[s.sweeps.length - 1].payload as {
      window_s: number;
      rates_hz: Record<string, number>;
    };
    expect(Object.keys(sweep.rates_hz)).toHaveLength(94);
    expect(sweep.window_s).toBe(0.3);

    const received = new Map<string, number[]>(); // every DCR value seen, per PMT, both forms
    const add = (pmt: string, v: number) => received.set(pmt, [...(received.get(pmt) ?? []), v]);
    for (const m of messages) {
      const p = /^cicenns\/daq\/pmt\/(.+)\/dcr$/.exec(m.topic);
      if (p) {
        expect(Object.keys(m.payload).sort()).toEqual(['rate_hz', 'ts', 'window_s']);
        add(p[1], m.payload.rate_hz as number);
      }
      if (m.topic === 'cicenns/daq/dcr')
        for (const [pmt, v] of Object.entries(m.payload.rates_hz as Record<string, number>)) add(pmt, v);
    }
    for (const pmt of Object.keys(t.hv)) {
      expect(received.get(pmt)).toContain(t.dcr[pmt]); // the truth's last measurement went out
      const expected = t.dcrExpected[pmt];
      expect(expected).toBeGreaterThan(pmt.startsWith('CsI') ? 2000 : 200);
      const tol = 5 / Math.sqrt(expected * 0.3); // 5 sigma of Poisson counts in 0.3 s
      expect(Math.abs(t.dcr[pmt] / expected - 1)).toBeLessThan(tol);
      expect(Math.abs(t.gain[pmt] / t.gainExpected[pmt] - 1)).toBeLessThan(0.05); // 1 % noise
    }
    const gain = messages.find((m) => m.topic === 'cicenns/daq/pmt/CsI01-A/gain')!.payload;
    expect(gain).toMatchObject({ method: 'spe' });
    expect(Math.abs((gain.gain as number) / 3.6e6 - 1)).toBeLessThan(0.06);
    expect(gain.gain_err as number).toBeGreaterThan(0);

    // coincidences: ~1.7 Hz accidentals, too few counts per 0.3 s window for one value; average them
    const coinc = messages.filter((m) => m.topic.endsWith('/coincidence'));
    expect(coinc.every((m) => m.payload.window_ns === 100)).toBe(true);
    const mean = coinc.reduce((a, m) => a + (m.payload.rate_hz as number), 0) / coinc.length;
    const expectedMean = Object.values(t.coincidenceExpected).reduce((a, b) => a + b, 0) / 15;
    const counts = expectedMean * 0.3 * coinc.length;
    expect(Math.abs(mean / expectedMean - 1)).toBeLessThan(5 / Math.sqrt(counts));
    expect(expectedMean).toBeCloseTo(2 * 100e-9 * t.dcrExpected['CsI01-A'] * t.dcrExpected['CsI01-B'], 0);

    const beam = s.beam[s.beam.length - 1].payload;
    expect(beam).toMatchObject({ on: true, power_kw: 140, rep_rate_hz: 25 });
    // both timestamp forms of SPEC 2.3, all close to now
    const ts = messages.map((m) => m.payload.ts);
    expect(ts.some((x) => typeof x === 'number')).toBe(true);
    expect(ts.some((x) => typeof x === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(x))).toBe(true);
    expect(ts.every((x) => Math.abs(new Date(x as string | number).getTime() - Date.now()) < 30_000)).toBe(
      true,
    );
  });

  it('(c) faults: hv-trip sets the status bit, crate-silent silences one unit, sensor-open reads 0x8000', async () => {
    const bad = await post({ type: 'hv-trip', pmt: 'CsI99-Z' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { reason: string }).reason).toMatch(/unknown PMT "CsI99-Z"/);

    const hv = new ModbusRTU();
    await hv.connectTCP('127.0.0.1', { port: hvPort });
    hv.setTimeout(500);
    const temp = new ModbusRTU();
    // raw RTU frames over TCP: modbus-serial's connectTelnet (its "TcpRTUBuffered" port speaks MBAP)
    await temp.connectTelnet('127.0.0.1', { port: tempPort });
    temp.setTimeout(500);
    try {
      hv.setID(1);
      expect((await hv.readHoldingRegisters(3 * 16 + 8, 1)).data[0]).toBe(STATUS_ON);
      const trip = await post({ type: 'hv-trip', pmt: 'CsI02-B' });
      expect(trip.status).toBe(201);
      const { id: tripId } = (await trip.json()) as { id: string };
      // the next simulator tick applies it: read until it shows (no fixed sleep)
      await waitFor('the trip on the register', async () => {
        const st = (await hv.readHoldingRegisters(3 * 16 + 8, 1)).data[0];
        return (st & STATUS_TRIPPED) !== 0;
      });
      const [status, power] = (await hv.readHoldingRegisters(3 * 16 + 8, 2)).data;
      expect(status & STATUS_TRIPPED).toBeTruthy();
      expect(status & STATUS_ON).toBe(0);
      expect(power).toBe(0);
      expect((await truth()).hv['CsI02-B']).toMatchObject({ status, power: 0 });
      // a write of power = 1 clears the trip
      await hv.writeRegister(3 * 16 + 9, 1);
      await waitFor('the trip cleared', async () => {
        const st = (await hv.readHoldingRegisters(3 * 16 + 8, 1)).data[0];
        return (st & STATUS_TRIPPED) === 0;
      });
      const after = (await hv.readHoldingRegisters(3 * 16 + 8, 1)).data[0];
      expect(after & STATUS_TRIPPED).toBe(0);
      expect(after & STATUS_ON).toBeTruthy();
      expect((await fetch(`${simUrl}/api/sim/faults/${tripId}`, { method: 'DELETE' })).status).toBe(200);

      const silent = await post({ type: 'crate-silent', device: 'hv-crystal' });
      const { id: silentId } = (await silent.json()) as { id: string };
      await expect(hv.readHoldingRegisters(0, 16)).rejects.toMatchObject({
        name: 'TransactionTimedOutError',
      });
      hv.setID(2); // the veto crate behind the same gateway, on the same connection, still answers
      expect((await hv.readHoldingRegisters(0, 16)).data[9]).toBe(1);
      const listed = (await (await fetch(`${simUrl}/api/sim/faults`)).json()) as { id: string }[];
      expect(listed.map((f) => f.id)).toEqual([silentId]);
      await fetch(`${simUrl}/api/sim/faults/${silentId}`, { method: 'DELETE' });
      hv.setID(1);
      expect((await hv.readHoldingRegisters(0, 2)).data).toHaveLength(2);

      // T-CsI09 is pt100-2 (unit 12) input 0; T-CsI10 input 1 keeps reading
      expect((await post({ type: 'sensor-open', sensor: 'T-CsI09' })).status).toBe(201);
      temp.setID(12);
      await waitFor('the open sensor on the register', async () => {
        return (await temp.readInputRegisters(0, 1)).data[0] === 0x8000;
      });
      const regs = (await temp.readInputRegisters(0, 8)).data;
      expect(regs[0]).toBe(0x8000);
      const t = await truth();
      expect(t.temperatures['T-CsI09']).toBeNull();
      const t10 = ((regs[1] << 16) >> 16) / 10;
      expect(Math.abs(t10 - (t.temperatures['T-CsI10'] as number))).toBeLessThan(0.2);
      temp.setID(11);
      const t01 = (await temp.readInputRegisters(0, 1)).data[0] / 10;
      expect(Math.abs(t01 - 22)).toBeLessThan(1);
    } finally {
      await new Promise<void>((r) => hv.close(() => r()));
      await new Promise<void>((r) => temp.close(() => r()));
    }
    const cleared = (await (await fetch(`${simUrl}/api/sim/faults`, { method: 'DELETE' })).json()) as {
      cleared: string[];
    };
    expect(cleared.cleared).toHaveLength(1);
  });

  it('takes fault commands over MQTT (cicenns/sim/fault)', async () => {
    await sim.waitForOutput(/taking fault commands on cicenns\/sim\/fault/); // subscribed (SUBACK)
    await mqtt.publishAsync('cicenns/sim/fault', JSON.stringify({ type: 'beam-off' }), { qos: 1 });
    await waitFor('beam off', async () => (await truth()).beam.on === false, 5000);
    const since = Date.now();
    await waitFor(
      'beam status off on MQTT',
      async () =>
        messages.some((m) => m.topic === 'cicenns/beam/status' && m.at > since && m.payload.on === false),
      5000,
    );
    await mqtt.publishAsync('cicenns/sim/fault', JSON.stringify({ clear: true }), { qos: 1 });
    await waitFor('beam back', async () => (await truth()).faults.length === 0, 5000);
    await mqtt.publishAsync('cicenns/sim/fault', '{"type":"nonsense"}', { qos: 1 });
    await sim.waitForOutput(/fault command rejected/, 5000);
  });

  it('refuses to start on a bad SIM_* value, naming the variable', async () => {
    const p = new ServiceProcess('simulator', { SIM_DCR_FORM: 'sometimes', SIM_HTTP_PORT: '0' }).start();
    const code = await new Promise<number | null>((r) => p.child!.once('exit', (c) => r(c)));
    expect(code).toBe(2); // a configuration error, like every service's
    expect(p.output).toMatch(/configuration error: environment: SIM_DCR_FORM: .*got "sometimes"/);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exit = new Promise<number | null>((r) => sim.child!.once('exit', (c) => r(c)));
    await sim.stop('SIGTERM');
    expect(await exit).toBe(0);
    expect(sim.output).toMatch(/SIGTERM, stopping/);
  });

  it('keeps serving Modbus while the broker is down, and connects when it comes up', async () => {
    const [mqttPort, hv, temp, http] = await freePorts(4);
    const { file } = writeTestConfig({
      hvPort: hv,
      tempPort: temp,
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      clientIdPrefix: `simdown${process.pid}`,
    });
    const p = new ServiceProcess('simulator', { CICENNS_CONFIG: file, SIM_HTTP_PORT: String(http) }).start();
    let brokerPid: number | undefined;
    const client = new ModbusRTU();
    try {
      await p.waitForOutput(/simulator: .*http/);
      await p.waitForOutput(/mqtt .*ECONNREFUSED.*retrying/);
      await client.connectTCP('127.0.0.1', { port: hv });
      client.setID(2);
      expect((await client.readHoldingRegisters(9, 1)).data).toEqual([1]);
      brokerPid = startMosquitto(mkdtempSync(join(tmpdir(), 'sim-broker-')), mqttPort);
      await p.waitForOutput(/mqtt connected/, 10_000);
    } finally {
      await new Promise<void>((r) => client.close(() => r()));
      await p.stop();
      if (brokerPid) stopPid(brokerPid);
    }
  });
});
