/**
 * The alarm service split by configuration (scaleOut.alarmPartitions), as real processes on the
 * real Mosquitto: two alarm instances (a: the crystals and the system alarms, b: the veto panels)
 * on one configuration file, CICENNS_INSTANCE a and b. A stream of readings raises a DCR alarm in
 * each partition; b is killed with SIGKILL mid-stream and restarted under the same id. Every alarm
 * the readings call for is raised exactly once, and the readings published while b was down are
 * judged after its restart (its persistent session kept them).
 */
import { ClientMqtt } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { connect, type MqttClient } from 'mqtt';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { loadSystemConfig, type SystemConfig } from '@cicenns/model';
import { readServerState, waitFor } from './support/servers';
import { ServiceProcess } from './support/processes';
import { writeTestConfig } from './support/test-config';
import { writeFastAlarmRules, type JournalEventLite } from './support/alarms-harness';
import { writeCommissionedCalibration } from './support/fixtures/commissioned';
import { readingsBatch, TWO_ALARM_PARTITIONS } from './support/alarm-partitions';
import { BusRpc } from '@cicenns/bus/rpc';
import { alarmOwnershipOf } from '@cicenns/model';
import { AlarmsService } from '../apps/api/src/alarms/alarms.service';
import { AlarmCache } from '../apps/api/src/alarms/alarm-cache';
import { AuditLog } from '../apps/api/src/audit/audit-log';

jest.setTimeout(120_000);

const servers = readServerState();
const prefix = `ap${process.pid}`;
const { file, dir } = writeTestConfig({
  mqttUrl: servers.mqttUrl,
  hvPort: 1,
  tempPort: 2,
  clientIdPrefix: prefix,
});
{
  const cfg = parse(readFileSync(file, 'utf8'));
  cfg.scaleOut.alarmPartitions = parse(TWO_ALARM_PARTITIONS);
  cfg.alarms = { ...cfg.alarms, alertmanagerUrl: '', evaluationIntervalMs: 200 };
  cfg.files.alarms = writeFastAlarmRules(dir, 300);
  cfg.files.calibration = writeCommissionedCalibration(dir);
  writeFileSync(file, stringify(cfg));
}
const system: SystemConfig = loadSystemConfig(file, {});
const alarms = (id: string) => new ServiceProcess('alarms', { CICENNS_CONFIG: file, CICENNS_INSTANCE: id });
const instances = { a: alarms('a'), b: alarms('b') };

let pub: MqttClient;
let watcher: MqttClient;
const events: JournalEventLite[] = [];
let seq = 0;
/** the latest health report by topic */
const health = new Map<string, { service: string; instance?: string }>();

/** One batch as the intake publishes it: HV on, temperatures at 22 degC, DCR at `factor` x calibration. */
const publishBatch = (dcrFactor: Map<string, number>) =>
  pub.publishAsync('cicenns/sc/readings/intake', readingsBatch(system.detector, dcrFactor, seq++), {
    qos: 1,
  });

/** Wait until `alarmId` was raised `n` times (the journal on cicenns/sc/alarms/events). */
const raisedTimes = (alarmId: string, n = 1) =>
  waitFor(
    `${alarmId} raised ${n}x (raised: ${events.filter((e) => e.action === 'raise').map((e) => e.alarmId)})`,
    async () => raises(alarmId) === n,
    15_000,
  );
const raises = (alarmId: string) =>
  events.filter((e) => e.action === 'raise' && e.alarmId === alarmId).length;

beforeAll(async () => {
  watcher = connect(servers.mqttUrl, { clientId: `${prefix}-watch` });
  await new Promise((r) => watcher.once('connect', r));
  watcher.on('message', (topic, payload) => {
    if (topic === 'cicenns/sc/alarms/events') events.push(JSON.parse(payload.toString()));
    else if (payload.length > 0) health.set(topic, JSON.parse(payload.toString()));
  });
  await watcher.subscribeAsync('cicenns/sc/health/+', { qos: 0 });
  await watcher.subscribeAsync('cicenns/sc/alarms/events', { qos: 1 });
  pub = connect(servers.mqttUrl, { clientId: `${prefix}-pub` });
  await new Promise((r) => pub.once('connect', r));
  for (const p of Object.values(instances)) p.start();
  for (const p of Object.values(instances)) await p.waitForOutput(/alarms: \d+ alarms/);
});

afterAll(async () => {
  for (const p of Object.values(instances)) await p.stop();
  pub?.end(true);
  watcher?.end(true);
});

it('two alarm instances: each partition raises its alarms once, across a SIGKILL of one', async () => {
  const [crystal1, crystal2] = ['CsI01-A', 'CsI02-A'];
  const [veto1, veto2] = ['PSV01-A', 'PSV02-A'];
  const high = new Map<string, number>();
  const stream = async (ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end;) {
      await publishBatch(high);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await stream(1000);
  high.set(crystal1, 20).set(veto1, 20);
  await stream(1500);
  await raisedTimes(`dcr-high:${crystal1}`);
  await raisedTimes(`dcr-high:${veto1}`);
  // b dies mid-stream; the stream goes on, with a new high DCR in each partition
  await instances.b.stop('SIGKILL');
  high.set(crystal2, 20).set(veto2, 20);
  await stream(1500);
  await raisedTimes(`dcr-high:${crystal2}`);
  expect(raises(`dcr-high:${veto2}`)).toBe(0); // its owner is down
  instances.b = alarms('b').start();
  await instances.b.waitForOutput(/alarms: \d+ alarms/);
  // nothing published since: what raises it are the readings its session kept while it was down
  await raisedTimes(`dcr-high:${veto2}`);
  await stream(1000);
  // each once: none raised twice, not by two instances nor by b again after its restart
  for (const id of [crystal1, crystal2, veto1, veto2])
    expect({ id, raises: raises(`dcr-high:${id}`) }).toEqual({ id, raises: 1 });
  const counts = new Map<string, number>();
  for (const e of events) if (e.action === 'raise') counts.set(e.alarmId, (counts.get(e.alarmId) ?? 0) + 1);
  expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
  // each instance reports its own health; b's retained state of veto1 survived a's start-up
  expect(health.get('cicenns/sc/health/alarms-a')).toMatchObject({ service: 'alarms', instance: 'a' });
  expect(health.get('cicenns/sc/health/alarms-b')).toMatchObject({ service: 'alarms', instance: 'b' });
  const retained = connect(servers.mqttUrl, { clientId: `${prefix}-retained` });
  const state = await new Promise<string>((resolve) => {
    retained.on('message', (_t, payload) => resolve(payload.toString()));
    void retained.subscribeAsync(`cicenns/sc/alarms/state/dcr-high:${veto1}`, { qos: 0 });
  });
  retained.end(true);
  expect(JSON.parse(state)).toMatchObject({ alarmId: `dcr-high:${veto1}` });
  // an ack reaches the owner and is answered by it (the other instance stays silent)
  const client = new ClientMqtt({ url: servers.mqttUrl, clientId: `${prefix}-cmd`, protocolVersion: 4 });
  await client.connect();
  const request = <T>(topic: string, data: unknown) =>
    firstValueFrom(client.send<T>(topic, data).pipe(timeout(5000)));
  for (const id of [veto1, crystal1]) {
    const reply = await request<{ status?: string }>('cicenns/sc/alarms/cmd/ack', {
      alarmIds: [`dcr-high:${id}`],
      user: 'e2e',
    });
    expect({ id, reply }).not.toMatchObject({ id, reply: { status: 'error' } });
    await waitFor(
      `ack of ${id}`,
      async () => events.some((e) => e.action === 'ack' && e.alarmId === `dcr-high:${id}`),
      5000,
    );
  }
  await client.close();
});

it("the API's alarm service: an ack of both partitions' alarms reaches both owners, the journal is both merged", async () => {
  const [crystal, veto] = ['CsI03-A', 'PSV03-A'];
  const high = new Map([
    [crystal, 20],
    [veto, 20],
  ]);
  for (let i = 0; i < 12; i++) {
    await publishBatch(high);
    await new Promise((r) => setTimeout(r, 200));
  }
  await raisedTimes(`dcr-high:${crystal}`);
  await raisedTimes(`dcr-high:${veto}`);
  const ownership = alarmOwnershipOf(system);
  expect(new Set([crystal, veto].map((id) => ownership.ownerOfAlarm(`dcr-high:${id}`))).size).toBe(2);
  const rpc = new BusRpc(system.app.mqtt, 'api-rpc-e2e');
  const audit = new AuditLog(':memory:');
  const api = new AlarmsService(new AlarmCache(), rpc, audit, ownership);
  try {
    const by = {
      user: { name: 'shifter-e2e', role: 'shifter' as const, via: 'session' as const },
      origin: '127.0.0.1',
      action: 'alarm.ack',
      params: {},
    };
    const reply = (await api.ack(by, { alarmIds: [`dcr-high:${crystal}`, `dcr-high:${veto}`] })) as {
      ok?: boolean;
    }[];
    // one answer per alarm, each from its owner, none refused
    expect(reply).toHaveLength(2);
    expect(reply.filter((r) => r.ok === false)).toEqual([]);
    await waitFor(
      'both acks in the journal events',
      async () =>
        [crystal, veto].every((id) =>
          events.some((e) => e.action === 'ack' && e.alarmId === `dcr-high:${id}`),
        ),
      5000,
    );
    // the journal asked of each partition and merged: both partitions' events, newest first
    const whole = await api.journal({ limit: 1000 });
    expect(whole.missing).toEqual([]);
    const journal = whole.events as { alarmId: string; action: string; ts: number }[];
    const acked = journal.filter((e) => e.action === 'ack').map((e) => e.alarmId);
    expect(acked).toEqual(expect.arrayContaining([`dcr-high:${crystal}`, `dcr-high:${veto}`]));
    expect(journal.map((e) => e.ts)).toEqual([...journal.map((e) => e.ts)].sort((a, b) => b - a));
    const two = await api.journal({ limit: 2 });
    expect(two.events).toHaveLength(2);
  } finally {
    await rpc.close();
    audit.close();
  }
});
