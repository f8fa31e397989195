/**
 * The historian's spool commit (issue 13): its CPU per message, this build against another
 * build's (--base, e.g. a checkout before GroupCommit, which committed each message in its own
 * SQLite transaction), in the same run against the same Mosquitto and InfluxDB.
 *
 *   npm run bench:historian-commit -- --base DIR [--messages 20000] [--readings 64] [--rounds 3]
 *
 * DIR is a checkout with its dist/ built. Each round runs each build's historian as a process on
 * the demo configuration (its own database and session), publishes --messages batches of
 * --readings HV readings each at QoS 1 (as the poller's crate batches), and waits until every
 * reading is queryable in InfluxDB; the historian's CPU seconds (/proc) from the first message to
 * the last point queryable, per message, are the figure. The builds alternate in each round;
 * the result is the median per build and their ratio.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { loadSystemConfig } from '@cicenns/model';
import { Topics, type Reading } from '@cicenns/contracts';
import { startAll, stopAll, waitFor } from '../test/support/servers';
import { deployedNodeOptions, READY_LINE, ROOT, ServiceProcess } from '../test/support/processes';
import { writeTestConfig } from '../test/support/test-config';
import { CLOCK_TICKS_PER_S, cpuTicks, loadAverage } from './proc-stats';
import { median } from './percentiles';

interface Outcome {
  cpuUsPerMessage: number;
  messagesPerSecond: number;
  /** messages per spool transaction, from the historian's health (undefined: a build without the counter) */
  messagesPerCommit?: number;
}

/** The historian's retained health report's counters (as the broker holds it now). */
function historianCounters(client: MqttClient): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const topic = Topics.health('historian');
    const t = setTimeout(() => reject(new Error('no historian health within 5 s')), 5000);
    client.on('message', (tp, payload) => {
      if (tp !== topic) return;
      clearTimeout(t);
      client.unsubscribe(topic);
      resolve((JSON.parse(payload.toString()) as { counters: Record<string, number> }).counters);
    });
    client.subscribe(topic, { qos: 0 });
  });
}

async function countHv(influxUrl: string, db: string): Promise<number> {
  const q = new URLSearchParams({ db, q: 'SELECT count(vmon) FROM hv' });
  const body = (await (await fetch(`${influxUrl}/query?${q}`)).json()) as {
    results?: { series?: { values?: unknown[][] }[] }[];
  };
  return Number(body.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
}

/** Publish at QoS 1 with at most `window` unacknowledged (as the poller's client does). */
async function publishAll(client: MqttClient, payloads: string[], window = 500): Promise<void> {
  let next = 0;
  let acked = 0;
  await new Promise<void>((done, fail) => {
    const send = () => {
      while (next < payloads.length && next - acked < window) {
        client.publish(Topics.readings('poller'), payloads[next++], { qos: 1 }, (err) => {
          if (err) return fail(err);
          acked++;
          if (acked === payloads.length) done();
          else send();
        });
      }
    };
    send();
  });
}

async function measure(
  build: string,
  root: string,
  mqttUrl: string,
  influxUrl: string,
  database: string,
  messages: number,
  perMessage: number,
): Promise<Outcome> {
  const { file } = writeTestConfig({
    hvPort: 1,
    tempPort: 2,
    mqttUrl,
    influxUrl,
    database,
    clientIdPrefix: `hc-${database}`,
  });
  const pmts = loadSystemConfig(file, {}).detector.pmts;
  // reading g is PMT g mod N at sweep g div N, sweeps 10 ms apart an hour ago: every point its own
  const t0 = Date.now() - 3600_000;
  const payloads: string[] = [];
  for (let i = 0; i < messages; i++) {
    const readings: Reading[] = [];
    for (let j = 0; j < perMessage; j++) {
      const g = i * perMessage + j;
      const p = pmts[g % pmts.length];
      const ts = t0 + Math.floor(g / pmts.length) * 10;
      readings.push({
        m: 'hv',
        id: p.id,
        ts,
        quality: 'good',
        fields: { vset: 1200, vmon: 1200 + (g % 1000) / 1000, imon: 2.5, iset: 20, status: 3 },
        source: p.hv.device,
      });
    }
    payloads.push(JSON.stringify({ service: 'poller', seq: i, readings }));
  }
  const historian = new ServiceProcess(
    'historian',
    { CICENNS_CONFIG: file, NODE_OPTIONS: deployedNodeOptions() },
    [],
    ROOT,
    root,
  ).start();
  const client = connect(mqttUrl, { clientId: `hc-pub-${process.pid}`, clean: true });
  try {
    await historian.waitForOutput(READY_LINE.historian!);
    await new Promise<void>((r) => (client.connected ? r() : client.once('connect', () => r())));
    const pid = historian.child!.pid!;
    const cpu0 = cpuTicks(pid);
    const wall0 = Date.now();
    await publishAll(client, payloads);
    const expected = messages * perMessage;
    await waitFor(
      `${build}: ${expected} readings in InfluxDB`,
      async () => (await countHv(influxUrl, database)) >= expected,
      600_000,
    );
    const cpuS = (cpuTicks(pid) - cpu0) / CLOCK_TICKS_PER_S;
    const wallS = (Date.now() - wall0) / 1000;
    await new Promise((r) => setTimeout(r, 2500)); // its next health report (every 2 s)
    const counters = await historianCounters(client);
    return {
      cpuUsPerMessage: (cpuS * 1e6) / messages,
      messagesPerSecond: messages / wallS,
      messagesPerCommit: counters.spoolCommits ? counters.batches / counters.spoolCommits : undefined,
    };
  } finally {
    await new Promise<void>((r) => client.end(false, {}, () => r()));
    await historian.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      base: { type: 'string' },
      messages: { type: 'string', default: '20000' },
      readings: { type: 'string', default: '64' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const messages = Number(values.messages);
  const perMessage = Number(values.readings);
  const builds: [string, string][] = [['this', ROOT]];
  if (values.base) builds.unshift(['base', resolve(values.base)]);
  const servers = await startAll();
  const got: Record<string, Outcome[]> = {};
  try {
    console.log(
      `${messages} messages of ${perMessage} HV readings, ${values.rounds} rounds, load ${loadAverage().join(' ')}`,
    );
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const [name, root] of builds) {
        const o = await measure(
          name,
          root,
          servers.mqttUrl,
          servers.influxUrl,
          `hc_${name}_${round}`,
          messages,
          perMessage,
        );
        (got[name] ??= []).push(o);
        console.log(
          `  round ${round} ${name.padEnd(4)} ${o.cpuUsPerMessage.toFixed(1).padStart(7)} us CPU per message, ` +
            `${o.messagesPerSecond.toFixed(0)} messages/s to queryable` +
            (o.messagesPerCommit ? `, ${o.messagesPerCommit.toFixed(1)} messages per spool commit` : ''),
        );
      }
    }
  } finally {
    await stopAll(servers);
  }
  const m = (name: string) => median(got[name].map((o) => o.cpuUsPerMessage));
  console.log(`\nbuild  us CPU per message (median)${values.base ? '  / base' : ''}`);
  for (const [name] of builds)
    console.log(
      `${name.padEnd(5)}  ${m(name).toFixed(1).padStart(8)}${values.base ? `  ${(m(name) / m('base')).toFixed(2).padStart(6)}` : ''}`,
    );
  console.log(`load ${loadAverage().join(' ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
