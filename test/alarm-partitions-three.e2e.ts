/**
 * Three alarm instances (partitions a, b, c of THREE_ALARM_PARTITIONS) on the real Mosquitto,
 * posting to a real Alertmanager, with the API in front of them. A stream of readings raises a
 * DCR alarm in each partition; b is killed with SIGKILL mid-stream and restarted under the same
 * id. Alertmanager holds each firing alarm exactly once with its labels, across the kill, and
 * resolves each when its reading returns to normal; the journal raises each alarm once. While b
 * is down the API's health says alarms-b is offline (a and c running), the API's journal answers
 * with a's and c's events and names b as missing, and the bus queries list and tree are answered
 * per partition by a and c.
 */
import { ClientMqtt } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { connect, type MqttClient } from 'mqtt';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { alarmOwnershipOf, loadSystemConfig, type SystemConfig } from '@cicenns/model';
import { MISSING_PARTITIONS_HEADER, Topics } from '@cicenns/contracts';
import { readServerState, waitFor } from './support/servers';
import { freePort, ServiceProcess } from './support/processes';
import { TEST_VIEWER_TOKEN, writeTestConfig } from './support/test-config';
import { writeFastAlarmRules, type AlarmViewLite, type JournalEventLite } from './support/alarms-harness';
import { writeCommissionedCalibration } from './support/fixtures/commissioned';
import { readingsBatch, THREE_ALARM_PARTITIONS, withSecondCrystalCrate } from './support/alarm-partitions';
import { TestAlertmanager } from './support/alertmanager';

jest.setTimeout(180_000);

const servers = readServerState();
const prefix = `ap3${process.pid}`;
const am = new TestAlertmanager();
let system: SystemConfig;
let file = '';
let apiUrl = '';
const alarms = (id: string) => new ServiceProcess('alarms', { CICENNS_CONFIG: file, CICENNS_INSTANCE: id });
const instances = new Map<string, ServiceProcess>();
let api: ServiceProcess;

let pub: MqttClient;
let watcher: MqttClient;
let client: ClientMqtt;
const events: JournalEventLite[] = [];
let seq = 0;
/** DCR factor per PMT of the stream (1 when not set) */
const high = new Map<string, number>();

/** the tube per partition whose DCR goes high first, and the one that goes high while b is down */
const first = { a: 'CsI01-A', b: 'PSV01-A', c: 'CsI09-A' };
const second = { a: 'CsI02-A', b: 'PSV02-A', c: 'CsI10-A' };
const dcrHigh = (pmt: string) => `dcr-high:${pmt}`;

const publishBatch = () =>
  pub.publishAsync('cicenns/sc/readings/intake', readingsBatch(system.detector, high, seq++), { qos: 1 });
/**
 * Readings every 200 ms for the whole file besides the streams below, as a running detector
 * sends them: a pause of the test (an instance restarting, a 2 s timeout awaited) is then no
 * pause of the readings, so no channel goes stale and is raised again by it (which the last
 * test, every alarm raised exactly once, would count; it did on a loaded CI machine).
 */
let heartbeat: NodeJS.Timeout | undefined;
const stream = async (ms: number) => {
  for (const end = Date.now() + ms; Date.now() < end;) {
    await publishBatch();
    await new Promise((r) => setTimeout(r, 200));
  }
};
const times = (action: string, alarmId: string) =>
  events.filter((e) => e.action === action && e.alarmId === alarmId).length;
/** stream on until each alarm's journal shows `action` (at least once) */
const streamUntil = (action: string, ids: string[]) =>
  waitFor(
    `${action} of ${ids.join(', ')}`,
    async () => {
      await stream(400);
      return ids.every((id) => times(action, id) > 0);
    },
    20_000,
  );
/** Alertmanager's firing alerts of one alarm id */
const amAlerts = (alarmId: string) => am.alerts({ alarm_id: alarmId });
const get = async (path: string) => {
  const res = await fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${TEST_VIEWER_TOKEN}` } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
};
/** a shift crew account by token, for the alarm actions (the test configuration has only a viewer) */
const SHIFTER_TOKEN = 'e2e-shifter-token-not-a-secret-0123456789';
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SHIFTER_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
};
const request = <T>(topic: string, data: unknown, ms = 5000) =>
  firstValueFrom(client.send<T>(topic, data).pipe(timeout(ms)));
type ServiceLine = { state: string; instance?: string };
const healthOf = async () =>
  (await get('/api/health')).body as { status: string; services: Record<string, ServiceLine> };

beforeAll(async () => {
  await am.start();
  const apiPort = await freePort();
  const written = writeTestConfig({
    mqttUrl: servers.mqttUrl,
    hvPort: 1,
    tempPort: 2,
    apiPort,
    clientIdPrefix: prefix,
  });
  file = written.file;
  apiUrl = `http://127.0.0.1:${apiPort}`;
  const cfg = parse(readFileSync(file, 'utf8'));
  withSecondCrystalCrate(cfg, written.dir);
  cfg.scaleOut.alarmPartitions = parse(THREE_ALARM_PARTITIONS);
  cfg.alarms = {
    ...cfg.alarms,
    alertmanagerUrl: am.url,
    consoleUrl: 'http://console.test',
    resendIntervalMs: 2000,
    evaluationIntervalMs: 200,
  };
  cfg.files.alarms = writeFastAlarmRules(written.dir, 300);
  cfg.files.calibration = writeCommissionedCalibration(written.dir);
  writeFileSync(file, stringify(cfg));
  const users = parse(readFileSync(join(written.dir, 'users.yaml'), 'utf8'));
  const sha256 = createHash('sha256').update(SHIFTER_TOKEN).digest('hex');
  users.users.push({ name: 'e2e-shifter', role: 'shifter', tokens: [{ name: 'e2e', sha256 }] });
  writeFileSync(join(written.dir, 'users.yaml'), stringify(users));
  system = loadSystemConfig(file, {});
  const ownership = alarmOwnershipOf(system);
  // the tubes are where the test means them to be
  for (const [partition, pmt] of [...Object.entries(first), ...Object.entries(second)])
    expect({ pmt, owner: ownership.ownerOfAlarm(dcrHigh(pmt)) }).toEqual({ pmt, owner: partition });

  watcher = connect(servers.mqttUrl, { clientId: `${prefix}-watch` });
  await new Promise((r) => watcher.once('connect', r));
  watcher.on('message', (topic, payload) => {
    if (topic === Topics.alarms.events) events.push(JSON.parse(payload.toString()));
  });
  await watcher.subscribeAsync(Topics.alarms.events, { qos: 1 });
  pub = connect(servers.mqttUrl, { clientId: `${prefix}-pub` });
  await new Promise((r) => pub.once('connect', r));
  // an earlier file's single alarm service left its retained last will on this shared broker:
  // clear it, so that what /api/health lists is this file's alarm instances
  await pub.publishAsync(Topics.health('alarms'), '', { qos: 1, retain: true });
  for (const id of ['a', 'b', 'c']) instances.set(id, alarms(id).start());
  for (const p of instances.values()) await p.waitForOutput(/alarms: \d+ alarms/);
  heartbeat = setInterval(() => void publishBatch().catch(() => undefined), 200);
  api = new ServiceProcess('api', { CICENNS_CONFIG: file }).start();
  await api.waitForOutput(/api: listening/);
  client = new ClientMqtt({ url: servers.mqttUrl, clientId: `${prefix}-cmd`, protocolVersion: 4 });
  await client.connect();
});

afterAll(async () => {
  clearInterval(heartbeat);
  await client?.close();
  await api?.stop();
  for (const p of instances.values()) await p.stop();
  pub?.end(true);
  watcher?.end(true);
  await am.stop();
});

it('each partition raises its DCR alarm; Alertmanager holds each exactly once, with its labels', async () => {
  await stream(1000);
  for (const pmt of Object.values(first)) high.set(pmt, 20);
  const ids = Object.values(first).map(dcrHigh);
  await streamUntil('raise', ids);
  await waitFor('alertmanager holds all three', async () => {
    const held = await Promise.all(ids.map(amAlerts));
    return held.every((a) => a.length === 1);
  });
  const labels = {
    [first.a]: { crystal: 'CsI01', device: 'hv-crystal' },
    [first.b]: { panel: 'PSV01', device: 'hv-veto' },
    [first.c]: { crystal: 'CsI09', device: 'hv-crystal-2' },
  };
  for (const [pmt, where] of Object.entries(labels)) {
    const held = await amAlerts(dcrHigh(pmt));
    expect(held).toHaveLength(1);
    expect(held[0].labels).toMatchObject({
      alertname: 'dcr-high',
      alarm_id: dcrHigh(pmt),
      subsystem: 'pmt',
      pmt,
      ...where,
    });
  }
  // the journal's partial answer is described in the API's OpenAPI document
  const doc = (await get('/api/openapi.json')).body as {
    paths: Record<string, { get: { description?: string; responses: Record<string, { headers?: object }> } }>;
  };
  const journalRoute = doc.paths['/api/alarms/journal'].get;
  expect(journalRoute.responses['200'].headers).toHaveProperty([MISSING_PARTITIONS_HEADER]);
  expect(journalRoute.description).toContain(MISSING_PARTITIONS_HEADER);
  // the API's health: each partition by its instance id, running
  const { services } = await healthOf();
  for (const id of ['a', 'b', 'c'])
    expect(services[`alarms-${id}`]).toMatchObject({ state: 'running', instance: id });
});

it('b killed mid-stream: health names b down, the journal has a and c and names b, list and tree per partition', async () => {
  const startsAt = (await amAlerts(dcrHigh(first.b)))[0].startsAt;
  await instances.get('b')!.stop('SIGKILL');
  for (const pmt of Object.values(second)) high.set(pmt, 20);
  await streamUntil('raise', [dcrHigh(second.a), dcrHigh(second.c)]);
  expect(times('raise', dcrHigh(second.b))).toBe(0); // its owner is down

  // health: that partition down (its last will), the others running
  await waitFor('alarms-b offline in /api/health', async () => {
    const { services } = await healthOf();
    return services['alarms-b']?.state === 'offline';
  });
  const { status, services } = await healthOf();
  expect(status).toBe('degraded');
  expect(services['alarms-b']).toMatchObject({ state: 'offline', instance: 'b' });
  expect(services['alarms-a']).toMatchObject({ state: 'running' });
  expect(services['alarms-c']).toMatchObject({ state: 'running' });
  expect(services.alarms).toBeUndefined();

  // the journal: 200 with what a and c hold, b named as missing; b's health says offline, so the
  // API does not wait out its 5 s timeout for b
  const asked = Date.now();
  const journal = await get('/api/alarms/journal?limit=1000');
  expect(journal.status).toBe(200);
  expect(Date.now() - asked).toBeLessThan(4000);
  expect(journal.headers.get(MISSING_PARTITIONS_HEADER)).toBe('b');
  const raised = (journal.body as JournalEventLite[])
    .filter((e) => e.action === 'raise')
    .map((e) => e.alarmId);
  expect(raised).toEqual(expect.arrayContaining([first.a, first.c, second.a, second.c].map(dcrHigh)));
  expect(raised).not.toContain(dcrHigh(first.b));

  // an action on b's alarm is refused at once (503, naming b), not left to time out; an ack of
  // alarms in a and b is done for a's and refused for b's, each with why; one alarm's journal is
  // asked of its owner only, so b's is refused at once too
  const acted = Date.now();
  const shelveB = await post(`/api/alarms/${encodeURIComponent(dcrHigh(first.b))}/shelve`, {
    reason: 'partition test',
    minutes: 10,
  });
  expect(shelveB).toMatchObject({
    status: 503,
    body: { message: expect.stringMatching(/alarm partition b is offline/) },
  });
  const ackBoth = await post('/api/alarms/ack', { alarmIds: [dcrHigh(first.a), dcrHigh(first.b)] });
  expect(ackBoth.status).toBe(200);
  expect(ackBoth.body).toEqual([
    expect.objectContaining({ alarmId: dcrHigh(first.a), ok: true }),
    { alarmId: dcrHigh(first.b), ok: false, error: 'alarm partition b is offline (its health): not sent' },
  ]);
  const journalB = await get(`/api/alarms/journal?alarmId=${encodeURIComponent(dcrHigh(first.b))}`);
  expect(journalB.status).toBe(503);
  expect(Date.now() - acted).toBeLessThan(4000);
  const journalA = await get(`/api/alarms/journal?alarmId=${encodeURIComponent(dcrHigh(first.a))}`);
  expect(journalA.status).toBe(200);
  expect((journalA.body as JournalEventLite[]).map((e) => e.action)).toEqual(
    expect.arrayContaining(['raise', 'ack']),
  );

  // list and tree on the bus: each partition answers with its own alarms, b nobody
  const ownership = alarmOwnershipOf(system);
  for (const partition of ['a', 'c']) {
    const list = await request<AlarmViewLite[]>(Topics.alarms.query.list, { partition });
    expect(list.map((v) => v.alarmId)).toEqual(
      expect.arrayContaining([dcrHigh(first[partition as 'a' | 'c'])]),
    );
    expect(list.filter((v) => ownership.ownerOfAlarm(v.alarmId) !== partition)).toEqual([]);
  }
  const treeC = JSON.stringify(await request(Topics.alarms.query.tree, { partition: 'c' }));
  expect(treeC).toContain(first.c);
  expect(treeC).not.toContain(first.a);
  expect(treeC).not.toContain(first.b);
  await expect(request(Topics.alarms.query.list, { partition: 'b' }, 2000)).rejects.toThrow(/timeout/i);

  // Alertmanager still holds b's alarm (not resent, not resolved: its resolve_timeout is 5 min)
  expect(await amAlerts(dcrHigh(first.b))).toHaveLength(1);

  // b back under its id: the readings its session kept raise its second alarm, once
  instances.set('b', alarms('b').start());
  await instances.get('b')!.waitForOutput(/alarms: \d+ alarms/);
  await waitFor(`${dcrHigh(second.b)} raised`, async () => times('raise', dcrHigh(second.b)) === 1, 15_000);
  await stream(1000);
  const back = await get('/api/alarms/journal?limit=1000');
  expect(back.status).toBe(200);
  expect(back.headers.get(MISSING_PARTITIONS_HEADER)).toBeNull();
  expect((await healthOf()).services['alarms-b']).toMatchObject({ state: 'running', instance: 'b' });
  // each alarm once in Alertmanager, b's first one the same alert as before the kill
  await waitFor('alertmanager holds all six', async () => {
    const held = await Promise.all(
      [...Object.values(first), ...Object.values(second)].map((p) => amAlerts(dcrHigh(p))),
    );
    return held.every((a) => a.length === 1);
  });
  expect((await amAlerts(dcrHigh(first.b)))[0].startsAt).toBe(startsAt);
  const counts = new Map<string, number>();
  for (const a of await am.alerts()) counts.set(a.labels.alarm_id, (counts.get(a.labels.alarm_id) ?? 0) + 1);
  expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
});

it('back to normal: each alarm clears and Alertmanager resolves it; every alarm was raised exactly once', async () => {
  const ids = [...Object.values(first), ...Object.values(second)].map(dcrHigh);
  high.clear();
  await streamUntil('clear', ids);
  await waitFor('alertmanager resolved all six', async () => {
    const held = await Promise.all(ids.map(amAlerts));
    return held.every((a) => a.length === 0);
  });
  for (const id of ids) expect({ id, raises: times('raise', id) }).toEqual({ id, raises: 1 });
  const raises = new Map<string, number>();
  for (const e of events) if (e.action === 'raise') raises.set(e.alarmId, (raises.get(e.alarmId) ?? 0) + 1);
  expect([...raises].filter(([, n]) => n > 1)).toEqual([]);
});
