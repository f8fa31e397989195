/**
 * Several intakes and historians on MQTT 5 shared subscriptions (scaleOut, docs/DEPLOY-SCALE.md),
 * as real processes on the real Mosquitto and InfluxDB: two of each, one configuration file,
 * CICENNS_INSTANCE 1 and 2. The stream is split between them, every reading is stored once, and
 * one of each killed with SIGKILL mid-stream and restarted under the same instance id loses
 * nothing: Mosquitto keeps a dead member's share (its unacknowledged messages and, round robin,
 * every second message published while it is away) in that member's session until it is back.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { InfluxDB } from 'influx';
import { connect, type MqttClient } from 'mqtt';
import type { ServiceHealth } from '@cicenns/contracts';
import { readServerState, waitFor } from './support/servers';
import { ROOT, ServiceProcess, sleep } from './support/processes';
import { writeTestConfig } from './support/test-config';
import { count, influxClient } from './support/influx';
import { testClient } from './support/mqtt';

jest.setTimeout(240_000);

const servers = readServerState();
const db = `shared_e2e_${process.pid}`;
const prefix = `sh${process.pid}`;
// requireHistorian: the intakes subscribe only once a historian instance's session exists
const { file } = writeTestConfig({
  hvPort: 1,
  tempPort: 2,
  mqttUrl: servers.mqttUrl,
  influxUrl: servers.influxUrl,
  database: db,
  clientIdPrefix: prefix,
  requireHistorian: true,
});
const instance = (service: 'intake' | 'historian', id: string) =>
  new ServiceProcess(service, { CICENNS_CONFIG: file, CICENNS_INSTANCE: id });
const intakes = [instance('intake', '1'), instance('intake', '2')];
const historians = [instance('historian', '1'), instance('historian', '2')];
const pmts = Array.from({ length: 32 }, (_, i) => `PSV${String(i + 1).padStart(2, '0')}-A`);
const t0 = Date.now() - 3600_000;

let pub: MqttClient;
let watcher: MqttClient;
let influx: InfluxDB;
/** the latest health of each instance, by its health name (intake-1, historian-2, ...) */
const health = new Map<string, ServiceHealth>();

/** Reading i: PMT i mod 32, timestamp t0 + i, rate i: every reading its own point. */
const publish = (i: number) =>
  pub.publishAsync(
    `cicenns/daq/pmt/${pmts[i % pmts.length]}/dcr`,
    JSON.stringify({ ts: t0 + i, rate_hz: i }),
    {
      qos: 1,
    },
  );

/** A counter of the running process of one instance (its own health, not a leftover report). */
function counter(name: string, proc: ServiceProcess, key: string): number | undefined {
  const h = health.get(name);
  return h && h.pid === proc.child?.pid && h.state !== 'offline' ? h.counters[key] : undefined;
}

const stored = () => count(influx, 'dcr', 'rate_hz');

/** `main.js --retire` of one instance, to its exit: its code and output. */
const retire = (service: 'intake' | 'historian', id?: string) =>
  new Promise<{ code: number; output: string }>((resolve) => {
    const main = join(ROOT, 'dist', 'apps', service, 'src', 'main.js');
    const env = { ...process.env, NODE_ENV: 'test', CICENNS_CONFIG: file, CICENNS_INSTANCE: id ?? '' };
    execFile(process.execPath, [main, '--retire'], { env, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, output: stdout + stderr }),
    );
  });

/** The retained report on a health topic, or '' when there is none (within a moment). */
async function retainedHealth(name: string): Promise<string> {
  const c = await testClient(servers.mqttUrl);
  try {
    let got = '';
    c.on('message', (_t, p) => (got = p.toString()));
    await c.subscribeAsync(`cicenns/sc/health/${name}`, { qos: 1 });
    await sleep(500);
    return got;
  } finally {
    await c.endAsync();
  }
}
const sumStored = async () => (await influx.query<{ s: number }>('SELECT sum(rate_hz) AS s FROM dcr'))[0].s;

async function startAll(): Promise<void> {
  for (const h of historians) h.start();
  for (const h of historians) await h.waitForOutput(/historian: .* -> /);
  for (const i of intakes) i.start();
  for (const i of intakes) await i.waitForOutput(/intake: subscribed/);
}

beforeAll(async () => {
  watcher = await testClient(servers.mqttUrl);
  watcher.on('message', (topic, payload) => {
    if (payload.length > 0) health.set(topic.split('/').pop()!, JSON.parse(payload.toString()));
  });
  const names = ['intake-1', 'intake-2', 'historian-1', 'historian-2'];
  await watcher.subscribeAsync(
    names.map((n) => `cicenns/sc/health/${n}`),
    { qos: 0 },
  );
  pub = await testClient(servers.mqttUrl);
  influx = influxClient(servers.influxUrl, db);
  await startAll();
});

afterAll(async () => {
  for (const p of [...intakes, ...historians]) await p.stop();
  await pub?.endAsync();
  await watcher?.endAsync();
  // End the four shared sessions (clean start, no expiry): on this shared broker they would
  // otherwise keep taking their share of later test files' DAQ messages for a week.
  for (const id of ['intake-1', 'intake-2', 'historian-1', 'historian-2']) {
    const c = connect(servers.mqttUrl, { clientId: `${prefix}-${id}`, clean: true, protocolVersion: 5 });
    await new Promise((r) => c.once('connect', r));
    await c.endAsync();
  }
});

describe('intake and historian as two instances each on shared subscriptions', () => {
  it('split the stream between them (each takes some) and store every reading once', async () => {
    // the intakes' subscriptions are shared ones of MQTT 5 sessions named after the instance
    expect(intakes[0].output).toMatch(/intake: subscribed to the DAQ topics/);
    for (let i = 0; i < 2000; i++) await publish(i);
    await waitFor('2000 readings stored', async () => (await stored()) === 2000, 60_000);
    expect(await sumStored()).toBe((2000 * 1999) / 2);

    await waitFor(
      'both intakes report what they took',
      async () =>
        (counter('intake-1', intakes[0], 'accepted') ?? 0) +
          (counter('intake-2', intakes[1], 'accepted') ?? 0) ===
        2000,
      10_000,
    );
    const byIntake = [
      counter('intake-1', intakes[0], 'accepted')!,
      counter('intake-2', intakes[1], 'accepted')!,
    ];
    // Mosquitto hands a shared subscription's messages round robin: half each
    expect(Math.min(...byIntake)).toBeGreaterThanOrEqual(900);
    await waitFor(
      'both historians report what they stored',
      async () =>
        (counter('historian-1', historians[0], 'written') ?? 0) +
          (counter('historian-2', historians[1], 'written') ?? 0) ===
        2000,
      10_000,
    );
    const byHistorian = [
      counter('historian-1', historians[0], 'written')!,
      counter('historian-2', historians[1], 'written')!,
    ];
    expect(Math.min(...byHistorian)).toBeGreaterThan(0);
    console.log(
      `split: intakes took ${byIntake.join(' + ')} messages, historians wrote ${byHistorian.join(' + ')}`,
    );
  });

  it("HV set values stored on change stay true although each historian sees only some of a channel's readings", async () => {
    // a PMT's readings as the poller publishes them (prevTs: its reading before), one batch each,
    // vset changed and changed back between readings the other historian may take
    const ts0 = t0 - 600_000;
    const truth = Array.from({ length: 60 }, (_, i) => (i % 7 === 3 || i % 11 === 5 ? 1200 : 1000));
    for (let i = 0; i < truth.length; i++) {
      const ts = ts0 + i * 1000;
      const reading = {
        m: 'hv',
        id: 'CsI01-A',
        ts,
        quality: 'good',
        source: 'hv-crystal',
        ...(i > 0 ? { prevTs: ts - 1000 } : {}),
        fields: { vset: truth[i], iset: 100, vmon: truth[i] - 0.5, imon: 2, status: 1, power: 1 },
      };
      await pub.publishAsync(
        'cicenns/sc/readings/poller',
        JSON.stringify({ service: 'poller', seq: i, readings: [reading] }),
        {
          qos: 1,
        },
      );
    }
    const where = `WHERE "pmt" = 'CsI01-A' AND time >= ${ts0}ms`;
    await waitFor(
      '60 HV readings stored',
      async () => (await count(influx, 'hv', 'vmon', where)) === 60,
      30_000,
    );
    const rows = await influx.query<{ time: Date; vset: number }>(`SELECT "vset" FROM "hv" ${where}`);
    const points = rows.map((r) => ({ ts: r.time.getTime(), vset: r.vset })).sort((a, b) => a.ts - b.ts);
    // what last("vset") with fill(previous) shows at each reading: the latest point at or before it
    const shown = truth.map((_, i) => points.filter((p) => p.ts <= ts0 + i * 1000).pop()?.vset);
    expect(shown).toEqual(truth);
    console.log(`set values: ${points.length} vset points stored for 60 readings`);
  });

  it('lose nothing when one intake and one historian are killed (SIGKILL) mid-stream and restarted', async () => {
    const from = 2000;
    const n = 6000;
    let acked = from;
    let resume!: () => void;
    const paused = new Promise<void>((r) => (resume = r));
    const publishing = (async () => {
      for (let i = from; i < from + n; i++) {
        if (i === from + 4000) await paused; // the last 2000 once both are back
        await publish(i);
        acked = i + 1;
      }
    })();

    await waitFor('a quarter published', async () => acked >= from + 1500, 30_000);
    await Promise.all([intakes[0].stop('SIGKILL'), historians[1].stop('SIGKILL')]);
    const ackedAtKill = acked;
    expect(ackedAtKill).toBeLessThan(from + 4000); // the stream went on past the kill

    // While they are away the other two go on, but the dead members' shares are not handed to
    // them: they wait in the dead sessions (and in the killed historian's spool).
    await waitFor('the publisher at its pause', async () => acked === from + 4000, 30_000);
    let last = -1;
    await waitFor(
      'the survivors done with their share',
      async () => {
        const now = await stored();
        const settled = now === last;
        last = now;
        if (!settled) await sleep(1000);
        return settled;
      },
      60_000,
    );
    const storedWhileDown = await stored();
    expect(storedWhileDown).toBeLessThan(from + 4000);

    // The killed intake back under its own instance id: the broker delivers what it kept for
    // that session, before anything new is published.
    intakes[0].start();
    await intakes[0].waitForOutput(/intake: subscribed/);
    await waitFor(
      'the restarted intake took its kept share',
      async () => (counter('intake-1', intakes[0], 'accepted') ?? 0) > 0,
      30_000,
    );
    await sleep(2000);
    const keptForIntake1 = counter('intake-1', intakes[0], 'accepted')!;
    historians[1].start();
    await historians[1].waitForOutput(/historian: .* -> /);

    resume();
    await publishing;
    await waitFor('all 8000 readings stored', async () => (await stored()) >= from + n, 90_000).catch(
      () => undefined,
    );
    await sleep(1000);
    // every reading once: a reading delivered twice (QoS 1 after a kill) is the same point, and
    // InfluxDB keeps one point per series and timestamp
    expect(await stored()).toBe(from + n);
    expect(await sumStored()).toBe(((from + n) * (from + n - 1)) / 2);
    console.log(
      `kill: published ${ackedAtKill - from} of the stream before the kill, ${storedWhileDown} of ` +
        `${from + 4000} stored while one of each was down; the restarted intake-1 then received ` +
        `${keptForIntake1} messages kept for its session`,
    );
  });
  it('scale down: an instance retired (--retire) hands over what its session held; from then on the others take everything', async () => {
    const from = 8000;
    // intake 2 and historian 1 go for good: killed, as a box that is switched off
    await Promise.all([intakes[1].stop('SIGKILL'), historians[0].stop('SIGKILL')]);
    for (let i = from; i < from + 1000; i++) await publish(i);
    await sleep(2000);
    expect(await stored()).toBeLessThan(from + 1000); // their shares wait in their sessions

    // intakes first: what intake 2 forwards goes half to historian 1's session, retired next
    const intake2 = await retire('intake', '2');
    expect(intake2.output).toMatch(/instance 2 retired: took the \d+ DAQ messages/);
    expect(intake2.code).toBe(0);
    const historian1 = await retire('historian', '1');
    expect(historian1.output).toMatch(/instance 1 retired: took the \d+ readings/);
    expect(historian1.code).toBe(0);
    await waitFor('the 1000 stored', async () => (await stored()) === from + 1000, 30_000);
    expect(await retainedHealth('intake-2')).toBe('');
    expect(await retainedHealth('historian-1')).toBe('');

    // the broker has no session of theirs left: intake 1 and historian 2 take every message
    const before = counter('intake-1', intakes[0], 'accepted')!;
    const written = counter('historian-2', historians[1], 'written')!;
    for (let i = from + 1000; i < from + 2000; i++) await publish(i);
    await waitFor('all stored', async () => (await stored()) === from + 2000, 30_000);
    await waitFor(
      'intake 1 took all 1000',
      async () => counter('intake-1', intakes[0], 'accepted') === before + 1000,
      10_000,
    );
    await waitFor(
      'historian 2 wrote all 1000',
      async () => counter('historian-2', historians[1], 'written') === written + 1000,
      10_000,
    );
    expect(await sumStored()).toBe(((from + 2000) * (from + 1999)) / 2);
    console.log(`retire: ${intake2.output.trim()}\n${historian1.output.trim()}`);
  });
  it('moving from one to several: the single historian retired (--retire, no instance) stores what its session held and leaves no session', async () => {
    const from = 10_000;
    // a single historian beside the group (as before the move): its plain subscription gets a copy of everything
    const single = new ServiceProcess('historian', { CICENNS_CONFIG: file, CICENNS_INSTANCE: '' }).start();
    try {
      await single.waitForOutput(/historian: .* -> /);
    } finally {
      await single.stop('SIGKILL');
    }
    for (let i = from; i < from + 500; i++) await publish(i);
    await waitFor('the 500 stored by the group', async () => (await stored()) === from + 500, 30_000);
    const first = await retire('historian');
    expect(first.code).toBe(0);
    // its session held a copy of each of the 500 batches' readings: stored again, the same points
    expect(Number(/took the (\d+) readings/.exec(first.output)?.[1])).toBeGreaterThanOrEqual(500);
    expect(await stored()).toBe(from + 500);
    // its session is gone: published now, nothing is kept for it (a second retire finds nothing)
    for (let i = from + 500; i < from + 1000; i++) await publish(i);
    await waitFor('the next 500 stored', async () => (await stored()) === from + 1000, 30_000);
    const second = await retire('historian');
    expect(second.output).toMatch(/took the 0 readings/);
    expect(await sumStored()).toBe(((from + 1000) * (from + 999)) / 2);
  });
});
