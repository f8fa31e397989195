/**
 * The poller as a real process against independent Modbus servers:
 *  (a) pymodbus (Debian python3-pymodbus) serving the vendor-x-hv layout over Modbus TCP and
 *      PT100 transmitters over RTU-over-TCP, with known values: exact decoded readings;
 *  (b) that server killed and restarted on the same port: bad readings with the reason, link
 *      down in health, then good readings again without any help;
 *  (c) a server answering with a wrong byte count: bad readings with the reason, poller unharmed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import type { Reading, ReadingBatch, ServiceHealth } from '@cicenns/contracts';
import { ROOT, ServiceProcess, freePort, sleep } from './support/processes';
import { readServerState } from './support/servers';
import { writeTestConfig } from './support/test-config';

jest.setTimeout(60_000);

const servers = readServerState();
const POLL_MS = 300;

// Known values, as engineering units; the python server encodes them itself.
const HV = [
  { vset: 1400, iset: 2.5, power: 1, vmon: 1399.8, imon: -1.234, status: 1 },
  { vset: 1350.5, iset: 3, power: 1, vmon: 1350.4, imon: 123456.789, status: 0b1001001 },
];
const TEMPS = [22.3, null, -10.0, 0, 0, 0, 0, 0];

/** A detector of 2 crystals' worth of PMTs: CsI01 on the pymodbus crate, PSV01 on the broken one. */
function writeDetector(dir: string): { detector: string; calibration: string } {
  const limits = { vmax: 1500, imaxUa: 200, rampMaxVps: 50 };
  const detector = {
    hvLimits: { crystal: limits, veto: limits },
    crystals: [
      {
        id: 'CsI01',
        sensor: 'T-CsI01',
        pmts: [
          { id: 'CsI01-A', hv: { device: 'hvx', channel: 0 } },
          { id: 'CsI01-B', hv: { device: 'hvx', channel: 1 } },
        ],
      },
    ],
    panels: [
      {
        id: 'PSV01',
        sensor: 'T-psv',
        pmts: [
          { id: 'PSV01-A', hv: { device: 'hvbad', channel: 0 } },
          { id: 'PSV01-B', hv: { device: 'hvbad', channel: 1 } },
        ],
      },
    ],
    sensors: [
      { id: 'T-CsI01', device: 'pt100-1', channel: 0 },
      { id: 'T-psv', device: 'pt100-1', channel: 1 },
      { id: 'T-hall', device: 'pt100-1', channel: 2 },
    ],
  };
  const record = (pmt: string) => ({
    pmt,
    version: 1,
    validFrom: '2026-01-01T00:00:00Z',
    hvV: 1400,
    gain: 3.6e6,
    beta: 7,
    dcrHz: 2900,
    dcrRefTempC: 22,
    dcrTempCoeffPerC: 0.05,
    measuredAt: '2026-01-01T00:00:00Z',
    method: 'datasheet',
    by: 'test',
  });
  const files = { detector: join(dir, 'detector.yaml'), calibration: join(dir, 'calibration.yaml') };
  writeFileSync(files.detector, stringify(detector));
  writeFileSync(
    files.calibration,
    stringify({ records: ['CsI01-A', 'CsI01-B', 'PSV01-A', 'PSV01-B'].map(record) }),
  );
  return files;
}

/** /usr/bin/python3 (Debian's, which has pymodbus), not the pyenv python3 first on PATH. */
async function startPymodbus(valuesFile: string): Promise<ChildProcess> {
  const child = spawn('/usr/bin/python3', [join(ROOT, 'test', 'support', 'pymodbus_server.py'), valuesFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const until = Date.now() + 10_000;
  while (!/listening/.test(out)) {
    if (child.exitCode !== null) throw new Error(`pymodbus server exited: ${out}`);
    if (Date.now() > until) throw new Error(`pymodbus server did not start: ${out}`);
    await sleep(50);
  }
  return child;
}

/** Modbus TCP server whose replies carry one register less than asked (byte count and data). */
function startMalformedServer(port: number): Promise<Server> {
  const srv = createServer((sock: Socket) => {
    let buf = Buffer.alloc(0);
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 12) {
        const len = buf.readUInt16BE(4);
        if (buf.length < 6 + len) return;
        const tid = buf.readUInt16BE(0);
        const unit = buf[6];
        const fc = buf[7];
        const count = buf.readUInt16BE(10);
        buf = buf.subarray(6 + len);
        const byteCount = 2 * (count - 1);
        const reply = Buffer.alloc(9 + byteCount);
        reply.writeUInt16BE(tid, 0);
        reply.writeUInt16BE(0, 2);
        reply.writeUInt16BE(3 + byteCount, 4);
        reply[6] = unit;
        reply[7] = fc;
        reply[8] = byteCount;
        sock.write(reply);
      }
    });
  });
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}

/** Everything the poller publishes: latest reading per id, all readings, latest health. */
class Watcher {
  readonly readings: Reading[] = [];
  readonly batches: ReadingBatch[] = [];
  health?: ServiceHealth;
  client!: MqttClient;

  async start(): Promise<void> {
    this.client = connect(servers.mqttUrl, { clientId: `poller-e2e-${process.pid}`, clean: true });
    await new Promise<void>((r) => this.client.once('connect', () => r()));
    this.client.on('message', (topic, payload) => {
      const msg = JSON.parse(payload.toString());
      if (topic.startsWith('cicenns/sc/health/')) this.health = msg as ServiceHealth;
      else {
        this.batches.push(msg as ReadingBatch);
        this.readings.push(...(msg as ReadingBatch).readings);
      }
    });
    await this.client.subscribeAsync(['cicenns/sc/readings/poller', 'cicenns/sc/health/poller'], { qos: 1 });
  }

  /** Wait for a reading published after `since` that satisfies `pred`. */
  async reading(
    id: string,
    pred: (r: Reading) => boolean,
    since: number,
    timeoutMs = 10_000,
  ): Promise<Reading> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = this.readings.find((x) => x.id === id && x.ts >= since && pred(x));
      if (r) return r;
      if (Date.now() > until) {
        const last = this.readings.filter((x) => x.id === id).slice(-3);
        throw new Error(`no matching reading of ${id} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
      }
      await sleep(50);
    }
  }

  async healthWhere(pred: (h: ServiceHealth) => boolean, timeoutMs = 10_000): Promise<ServiceHealth> {
    const until = Date.now() + timeoutMs;
    while (!(this.health && pred(this.health))) {
      if (Date.now() > until) throw new Error(`health never matched; last: ${JSON.stringify(this.health)}`);
      await sleep(50);
    }
    return this.health;
  }
}

describe('poller against independent Modbus servers', () => {
  let py: ChildProcess | undefined;
  let bad: Server;
  let poller: ServiceProcess;
  const watch = new Watcher();
  let valuesFile: string;

  beforeAll(async () => {
    const [hvPort, ptPort, badPort] = [await freePort(), await freePort(), await freePort()];
    const link = { timeoutMs: 300, retries: 1, backoff: { initialMs: 100, maxMs: 500 } };
    const { file, dir } = writeTestConfig({
      hvPort,
      tempPort: ptPort,
      mqttUrl: servers.mqttUrl,
      clientIdPrefix: `pe2e${process.pid}`,
      mutate: (cfg) => {
        Object.assign(cfg.files, writeDetector(dirOf(cfg)));
        cfg.links = [
          { id: 'hvx-link', type: 'tcp', host: '127.0.0.1', port: hvPort, ...link },
          { id: 'temp-line', type: 'rtu-over-tcp', host: '127.0.0.1', port: ptPort, ...link },
          { id: 'bad-link', type: 'tcp', host: '127.0.0.1', port: badPort, ...link },
        ];
        cfg.devices = [
          { id: 'hvx', link: 'hvx-link', profile: 'vendor-x-hv', unitId: 10, channels: 2, pollMs: POLL_MS },
          {
            id: 'pt100-1',
            link: 'temp-line',
            profile: 'pt100-8ch',
            unitId: 11,
            channels: 8,
            pollMs: POLL_MS,
          },
          { id: 'hvbad', link: 'bad-link', profile: 'generic-hv', unitId: 1, channels: 2, pollMs: POLL_MS },
        ];
      },
    });
    valuesFile = join(dir, 'values.json');
    writeFileSync(
      valuesFile,
      JSON.stringify({
        hv: { port: hvPort, baseUnit: 10, channels: HV },
        pt100: { port: ptPort, units: { '11': TEMPS } },
      }),
    );
    py = await startPymodbus(valuesFile);
    bad = await startMalformedServer(badPort);
    await watch.start();
    poller = new ServiceProcess('poller', { CICENNS_CONFIG: file }).start();
    await poller.waitForOutput(/poller: .*devices/);
  });

  afterAll(async () => {
    await poller?.stop('SIGKILL');
    py?.kill('SIGKILL');
    bad?.close();
    await watch.client?.endAsync();
  });

  it('(a) publishes the exact values of the vendor-x crate and the RTU-over-TCP transmitter', async () => {
    const t0 = Date.now();
    for (const [ch, id] of ['CsI01-A', 'CsI01-B'].entries()) {
      const r = await watch.reading(id, (x) => x.quality === 'good', t0);
      expect(r).toMatchObject({ m: 'hv', id, quality: 'good', source: 'hvx' });
      expect(r.fields).toEqual(HV[ch]); // vmon int16 x0.1, imon int32 CDAB x0.001, status integer
    }
    const t = await watch.reading('T-CsI01', () => true, t0);
    expect(t).toMatchObject({
      m: 'temperature',
      quality: 'good',
      source: 'pt100-1',
      fields: { value_c: 22.3 },
    });
    expect(await watch.reading('T-psv', () => true, t0)).toMatchObject({
      quality: 'bad',
      fields: {},
      error: 'sensor open',
    });
    expect((await watch.reading('T-hall', () => true, t0)).fields).toEqual({ value_c: -10 });
    // one batch per device poll: a batch never mixes devices
    for (const b of watch.batches) {
      expect(b.service).toBe('poller');
      expect(new Set(b.readings.map((r) => r.source)).size).toBe(1);
    }
    const h = await watch.healthWhere((x) => x.connections['device/hvx']?.state === 'up');
    expect(h.connections['link/hvx-link'].state).toBe('up');
    expect(h.connections['link/temp-line'].state).toBe('up');
    const dev = (h.detail!.devices as Record<string, { transactions: number; lastSweepMs: number }>).hvx;
    expect(dev.transactions).toBe(4); // per channel unit: holding 0-2 and input 0-3
    expect(dev.lastSweepMs).toBeGreaterThan(0);
  });

  it('(c) a wrong byte count gives bad readings with the reason and the poller keeps running', async () => {
    const t0 = Date.now();
    for (const id of ['PSV01-A', 'PSV01-B']) {
      const r = await watch.reading(id, () => true, t0);
      expect(r).toMatchObject({ m: 'hv', quality: 'bad', fields: {}, source: 'hvbad' });
      expect(r.error).toMatch(/^malformed reply: Data length error/);
    }
    const h = await watch.healthWhere((x) => x.connections['device/hvbad']?.state === 'down');
    expect(h.connections['device/hvbad'].detail).toMatch(/malformed reply/);
    expect(h.connections['link/bad-link'].state).toBe('up'); // the device answers: the link is fine
    await sleep(3 * POLL_MS);
    expect(poller.child?.exitCode).toBeNull();
    await watch.reading('CsI01-A', (x) => x.quality === 'good', Date.now());
  });

  it('(b) a crate that dies goes bad with the reason, and comes back by itself', async () => {
    py!.kill('SIGKILL');
    const killedAt = Date.now();
    const r = await watch.reading('CsI01-A', (x) => x.quality === 'bad', killedAt, 2 * POLL_MS + 1500);
    expect(r.error).toMatch(/^(link down: .+|timeout after 300 ms)$/);
    expect(r.fields).toEqual({});
    // the link drops first and the device is judged at its next poll: a report in between (the
    // 2 s tick) may show one without the other, so wait for the report that has both
    const h = await watch.healthWhere(
      (x) => x.connections['link/hvx-link']?.state !== 'up' && x.connections['device/hvx']?.state === 'down',
      5000,
    );
    expect(h.connections['link/hvx-link'].detail).toBeTruthy();
    expect(h.connections['device/hvx']).toMatchObject({ state: 'down' });
    expect(poller.output).toMatch(/link hvx-link down/);

    await sleep(1000); // down for a while: several failed reconnect attempts
    py = await startPymodbus(valuesFile);
    const back = Date.now();
    const good = await watch.reading('CsI01-B', (x) => x.quality === 'good', back, 5000);
    expect(good.fields).toEqual(HV[1]);
    const h2 = await watch.healthWhere(
      (x) => x.connections['link/hvx-link']?.state === 'up' && x.counters.reconnects >= 1,
    );
    expect(h2.counters.failures).toBeGreaterThan(0);
    // one log line per state change, not one per failed poll or reconnect attempt
    expect(poller.output.match(/link hvx-link down/g)!.length).toBeLessThanOrEqual(3);
  });

  it('stops cleanly on SIGTERM and leaves "offline" in its retained health', async () => {
    await poller.stop('SIGTERM');
    expect(poller.output).toMatch(/poller: stopped/);
    await watch.healthWhere((x) => x.state === 'offline', 3000);
  });
});

function dirOf(cfg: Record<string, unknown>): string {
  // writeTestConfig puts spoolPath in its temp dir: keep our detector files next to it
  return join(String((cfg.influx as { spoolPath: string }).spoolPath), '..');
}
