/**
 * The alarm service on real processes: faults injected into the simulator go through the
 * poller/intake, the rule engine and the runtime, out to MQTT, InfluxDB and a real
 * Alertmanager. Lifecycle (raise, ack, latch, shelve, disable), the crate hierarchy, the
 * temperature-compensated DCR, and a SIGKILL of the alarm service.
 */
import type { MqttClient } from 'mqtt';
import { Topics } from '@cicenns/contracts';
import { AlarmsHarness, type AlarmViewLite, type JournalEventLite } from './support/alarms-harness';
import { influxClient } from './support/influx';
import { testClient } from './support/mqtt';
import { sleep } from './support/processes';
import { readServerState, waitFor } from './support/servers';

jest.setTimeout(120_000);

const servers = readServerState();
const db = `alarms_${process.pid}`;
const { cmd, query } = Topics.alarms;

describe('alarm service on real processes', () => {
  const h = new AlarmsHarness({
    mqttUrl: servers.mqttUrl,
    influxUrl: servers.influxUrl,
    database: db,
    tag: 'al',
  });
  let mqtt: MqttClient;
  /** every journal event seen on cicenns/sc/alarms/events */
  const events: JournalEventLite[] = [];
  /** the retained state topics as last seen */
  const retained = new Map<string, string>();

  beforeAll(async () => {
    await h.start();
    mqtt = await testClient(servers.mqttUrl);
    mqtt.on('message', (topic, payload) => {
      if (topic === Topics.alarms.events) events.push(JSON.parse(payload.toString()) as JournalEventLite);
      else retained.set(topic, payload.toString());
    });
    await mqtt.subscribeAsync([Topics.alarms.events, Topics.alarms.stateAll], { qos: 1 });
    // let the rule engine see a few periods of every measurement
    await sleep(2500);
  });

  afterAll(async () => {
    await h.stop();
    // the other e2e files share this broker: an "offline" alarm service left retained there
    // would make their API report the system degraded
    await mqtt?.publishAsync(Topics.health('alarms'), '', { qos: 1, retain: true });
    await mqtt?.endAsync();
  });

  const list = (filter: Record<string, unknown> = {}) => h.request<AlarmViewLite[]>(query.list, { filter });
  const view = async (alarmId: string) => (await list({ alarmIds: [alarmId] }))[0];
  const waitState = async (alarmId: string, state: string, ms = 15_000) => {
    await waitFor(`${alarmId} ${state}`, async () => (await view(alarmId))?.state === state, ms).catch(
      async (e) => {
        throw new Error(`${e.message}; now ${JSON.stringify(await view(alarmId))}\n${h.logs(1500)}`);
      },
    );
    return view(alarmId);
  };
  const amHolds = async (filter: Record<string, string>) => (await h.am.alerts(filter)).length > 0;
  const ack = (alarmIds: string[], comment?: string) =>
    h.request<{ alarmId: string; ok: boolean; state: string; error?: string }[]>(cmd.ack, {
      alarmIds,
      user: 'shift-alice',
      comment,
      origin: 'e2e',
    });

  it('hv-trip: the HV trip alarm with severity and labels, in Alertmanager; ack; clear -> normal and resolved', async () => {
    const id = 'hv-trip:CsI03-A';
    const fault = await h.fault({ type: 'hv-trip', pmt: 'CsI03-A' });
    const v = await waitState(id, 'active-unack');
    expect(v).toMatchObject({
      rule: 'hv-trip',
      severity: 'alarm',
      subject: { id: 'CsI03-A', kind: 'pmt', parent: 'CsI03', device: 'hv-crystal' },
    });
    await waitFor(
      'retained state',
      async () => retained.get(Topics.alarms.state(id))?.includes('active-unack') ?? false,
      5000,
    );

    const am = { alertname: 'hv-trip', pmt: 'CsI03-A' };
    await waitFor('alertmanager holds the trip', () => amHolds(am), 10_000);
    const [alert] = await h.am.alerts(am);
    expect(alert.labels).toMatchObject({
      alertname: 'hv-trip',
      severity: 'alarm',
      subsystem: 'hv',
      crystal: 'CsI03',
      pmt: 'CsI03-A',
      device: 'hv-crystal',
      site: 'CICENNS',
    });
    expect(alert.annotations.console_url).toBe('http://console.test/#/alarms/hv-trip%3ACsI03-A');
    expect(alert.annotations.guidance.length).toBeGreaterThan(10);
    expect(alert.annotations.beam).toBe('on, 140 kW');
    // VMon 0 V under VSet is the trip's consequence: hv-deviation stands under hv-trip, never raised
    const deviation = await view('hv-deviation:CsI03-A');
    expect(['normal', 'suppressed']).toContain(deviation.state);
    expect(events.filter((e) => e.alarmId === 'hv-deviation:CsI03-A' && e.action === 'raise')).toEqual([]);
    expect(await amHolds({ alertname: 'hv-deviation', pmt: 'CsI03-A' })).toBe(false);

    expect(await ack([id], 'resetting the channel')).toEqual([
      { alarmId: id, ok: true, state: 'active-ack' },
    ]);
    expect((await view(id)).ack).toMatchObject({ by: 'shift-alice', comment: 'resetting the channel' });

    await h.clearFault(fault);
    await waitState(id, 'normal');
    await waitFor('alertmanager: resolved', async () => !(await amHolds(am)), 10_000);
    await waitFor('retained state deleted', async () => retained.get(Topics.alarms.state(id)) === '', 5000);

    const journal = await h.request<JournalEventLite[]>(query.journal, { alarmId: id });
    expect(journal.map((e) => `${e.action}:${e.from}->${e.to}`).reverse()).toEqual([
      'raise:normal->active-unack',
      'ack:active-unack->active-ack',
      'clear:active-ack->normal',
    ]);
    expect(journal[1]).toMatchObject({ by: 'shift-alice', origin: 'e2e', beam: { on: true, power_kw: 140 } });
    expect(events.filter((e) => e.alarmId === id).map((e) => e.action)).toEqual(['raise', 'ack', 'clear']);
  });

  // each rule raises its alarm with its severity and labels, and clears (then resolved in Alertmanager)
  it.each([
    {
      fault: { type: 'over-current', pmt: 'CsI10-B', imonUa: 500 },
      alarmId: 'hv-over-current:CsI10-B',
      severity: 'alarm',
      labels: { subsystem: 'hv', crystal: 'CsI10', pmt: 'CsI10-B', device: 'hv-crystal' },
    },
    {
      fault: { type: 'sensor-open', sensor: 'T-CsI11' },
      alarmId: 'sensor-open:T-CsI11',
      severity: 'warning',
      labels: { subsystem: 'temperature', sensor: 'T-CsI11' },
    },
    {
      fault: { type: 'temperature-offset', sensor: 'T-CsI13', deltaC: 30 },
      alarmId: 'temperature-range:T-CsI13',
      severity: 'alarm',
      labels: { subsystem: 'temperature', sensor: 'T-CsI13' },
    },
    {
      fault: { type: 'dcr-jump', pmt: 'PSV20-A', factor: 0 },
      alarmId: 'dcr-low:PSV20-A',
      severity: 'alarm',
      labels: { subsystem: 'pmt', panel: 'PSV20', pmt: 'PSV20-A', device: 'hv-veto' },
    },
  ])('$fault.type raises $alarmId ($severity) and clears', async ({ fault, alarmId, severity, labels }) => {
    const id = await h.fault(fault);
    const v = await waitState(alarmId, 'active-unack');
    expect(v.severity).toBe(severity);
    const am = { alarm_id: alarmId };
    await waitFor(`alertmanager holds ${alarmId}`, () => amHolds(am), 10_000);
    expect((await h.am.alerts(am))[0].labels).toMatchObject({
      alertname: alarmId.split(':')[0],
      severity,
      ...labels,
    });
    await h.clearFault(id);
    await waitFor(`${alarmId} clears`, async () => (await view(alarmId)).state === 'cleared-unack', 15_000);
    await waitFor('alertmanager: resolved', async () => !(await amHolds(am)), 10_000);
    expect(await ack([alarmId])).toEqual([{ alarmId, ok: true, state: 'normal' }]);
  });

  it('a gain drift raises gain-drift (warning, then alarm) with its labels, and clears when the gain is back', async () => {
    const alarmId = 'gain-drift:CsI12-A';
    const id = await h.fault({ type: 'gain-drift', pmt: 'CsI12-A', pctPerHour: -18_000 }); // -5 %/s
    await waitState(alarmId, 'active-unack');
    await waitFor('escalates to alarm', async () => (await view(alarmId)).severity === 'alarm', 15_000);
    const am = { alarm_id: alarmId };
    await waitFor(
      'alertmanager holds the alarm',
      async () => (await h.am.alerts(am))[0]?.labels.severity === 'alarm',
      10_000,
    );
    expect((await h.am.alerts(am))[0].labels).toMatchObject({
      alertname: 'gain-drift',
      severity: 'alarm',
      crystal: 'CsI12',
      pmt: 'CsI12-A',
    });
    await h.clearFault(id);
    await waitFor(`${alarmId} clears`, async () => (await view(alarmId)).state === 'cleared-unack', 15_000);
    await waitFor('alertmanager: resolved', async () => !(await amHolds(am)), 10_000);
    expect(await ack([alarmId])).toEqual([{ alarmId, ok: true, state: 'normal' }]);
  });

  it('cleared before ack: latched cleared-unack until acknowledged', async () => {
    const id = 'hv-trip:CsI04-B';
    const fault = await h.fault({ type: 'hv-trip', pmt: 'CsI04-B' });
    await waitState(id, 'active-unack');
    await h.clearFault(fault);
    await waitState(id, 'cleared-unack');
    await sleep(500);
    expect((await view(id)).state).toBe('cleared-unack');
    expect(await ack([id])).toEqual([{ alarmId: id, ok: true, state: 'normal' }]);
  });

  it('shelve: not sent while shelved, back when the shelf expires; disable/enable; refused commands', async () => {
    const id = 'hv-trip:CsI05-A';
    const am = { alertname: 'hv-trip', pmt: 'CsI05-A' };
    const fault = await h.fault({ type: 'hv-trip', pmt: 'CsI05-A' });
    await waitState(id, 'active-unack');
    await waitFor('alertmanager holds it', () => amHolds(am), 10_000);

    const until = new Date(Date.now() + 3000).toISOString();
    const shelved = await h.request<AlarmViewLite>(cmd.shelve, {
      alarmId: id,
      user: 'shift-bob',
      reason: 'base being replaced',
      until,
    });
    expect(shelved).toMatchObject({
      state: 'shelved',
      shelf: { by: 'shift-bob', reason: 'base being replaced' },
    });
    await waitFor('alertmanager: resolved while shelved', async () => !(await amHolds(am)), 5000);
    // the shelf runs out while the channel is still tripped: the alarm is back, unacknowledged
    await waitState(id, 'active-unack', 8000);
    await waitFor('alertmanager holds it again', () => amHolds(am), 5000);

    await expect(
      h.request(cmd.shelve, { alarmId: id, user: 'b', reason: 'r', until: Date.now() - 1000 }),
    ).rejects.toMatchObject({ message: 'until must be in the future' });
    await expect(h.request(cmd.shelve, { alarmId: id, user: 'b' })).rejects.toMatchObject({
      message: expect.stringMatching(/^reason: /),
    });
    await expect(h.request(cmd.unshelve, { alarmId: 'nope:x', user: 'b' })).rejects.toMatchObject({
      message: 'unknown alarm "nope:x"',
    });

    const disabled = await h.request<AlarmViewLite>(cmd.disable, {
      alarmId: id,
      user: 'expert-carol',
      reason: 'tube dead',
    });
    expect(disabled.state).toBe('disabled');
    await waitFor('alertmanager: resolved while disabled', async () => !(await amHolds(am)), 5000);
    await h.clearFault(fault);
    await waitFor('the trip is over', async () => !(await view(id)).conditionActive, 5000);
    const enabled = await h.request<AlarmViewLite>(cmd.enable, { alarmId: id, user: 'expert-carol' });
    expect(enabled.state).toBe('normal');
  });

  it('a crate that stops answering raises exactly one alarm, none for its 64 channels', async () => {
    const crate = 'device-down:hv-veto';
    const before = events.length;
    const fault = await h.fault({ type: 'crate-silent', device: 'hv-veto' });
    await waitState(crate, 'active-unack', 20_000);
    await sleep(3000); // well past every channel's (shortened) delay and stale period
    // (alarms elsewhere may come and go meanwhile: with the test's shortened delays the noise of
    // the simulated detector sometimes raises one, a veto tube's DCR or gain alarm too, which the
    // crate does not feed; its own alarms are the crate's and its channels' HV and stale-hv ones)
    const onCrate = (e: JournalEventLite) =>
      e.alarmId === crate || /^(hv-[a-z-]+|stale-hv):PSV/.test(e.alarmId);
    const raised = events
      .slice(before)
      .filter((e) => onCrate(e) && (e.action === 'raise' || e.action === 'escalate'));
    expect(raised.map((e) => e.alarmId)).toEqual([crate]);
    const vetoAlerts = (await h.am.alerts()).filter((a) => a.labels.device === 'hv-veto');
    expect(vetoAlerts.map((a) => a.labels.alarm_id)).toEqual([crate]);
    const suppressed = await list({ states: ['suppressed'] });
    process.stdout.write(`[alarms e2e] crate outage: ${suppressed.length} channel alarms suppressed\n`);
    expect(suppressed.every((v) => v.suppressedBy === crate && v.subject.device === 'hv-veto')).toBe(true);
    // every veto channel's data went stale, and the hierarchy held all 64 back
    expect(suppressed.filter((v) => v.alarmId.startsWith('stale-hv:PSV')).length).toBe(64);

    await h.clearFault(fault);
    await waitState(crate, 'cleared-unack', 20_000);
    await sleep(1500);
    const after = events
      .slice(before)
      .filter((e) => onCrate(e) && e.action === 'raise' && e.alarmId !== crate);
    expect(after).toEqual([]);
    await ack([crate]);
  });

  it('a temperature cycle of a few degrees moves the DCR but raises no DCR alarm; a DCR jump does', async () => {
    const before = events.length;
    const cycle = await h.fault({ type: 'temperature-cycle', sensor: 'T-CsI06', amplitudeC: 3, periodS: 4 });
    await sleep(8000);
    const truth = (await (await fetch(`${h.simUrl}/api/sim/truth`)).json()) as {
      temperatures: Record<string, number>;
    };
    expect(truth.temperatures['T-CsI06']).toBeDefined();
    const dcrAlarms = (from: number) =>
      events
        .slice(from)
        .filter((e) => e.alarmId.startsWith('dcr') && e.alarmId.includes('CsI06') && e.action === 'raise');
    expect(dcrAlarms(before)).toEqual([]);
    await h.clearFault(cycle);

    const jump = await h.fault({ type: 'dcr-jump', pmt: 'CsI06-A', factor: 8 });
    await waitState('dcr-high:CsI06-A', 'active-unack', 15_000);
    expect((await view('dcr-high:CsI06-A')).severity).toBe('alarm');
    await h.clearFault(jump);
  });

  it('killed with SIGKILL and restarted: states, acks, shelves and the journal are kept', async () => {
    const acked = 'hv-trip:CsI07-A';
    const shelvedId = 'hv-trip:CsI07-B';
    const f1 = await h.fault({ type: 'hv-trip', pmt: 'CsI07-A' });
    const f2 = await h.fault({ type: 'hv-trip', pmt: 'CsI07-B' });
    await waitState(acked, 'active-unack');
    await waitState(shelvedId, 'active-unack');
    await ack([acked], 'known');
    await h.request(cmd.shelve, {
      alarmId: shelvedId,
      user: 'shift-bob',
      reason: 'test',
      until: Date.now() + 600_000,
    });
    const journalBefore = await h.request<JournalEventLite[]>(query.journal, { limit: 10_000 });

    const alarms = h.proc('alarms');
    await alarms.stop('SIGKILL');
    alarms.start();
    await alarms.waitForOutput(/alarms: \d+ alarms/);

    expect(await view(acked)).toMatchObject({
      state: 'active-ack',
      ack: { by: 'shift-alice', comment: 'known' },
    });
    expect(await view(shelvedId)).toMatchObject({
      state: 'shelved',
      shelf: { by: 'shift-bob', reason: 'test' },
    });
    const journalAfter = await h.request<JournalEventLite[]>(query.journal, { limit: 10_000 });
    const seqs = new Set(journalAfter.map((e) => e.seq));
    expect(journalBefore.every((e) => seqs.has(e.seq))).toBe(true);
    await waitFor(
      'alertmanager still holds the acked alarm',
      () => amHolds({ pmt: 'CsI07-A', alertname: 'hv-trip' }),
      5000,
    );
    expect(await amHolds({ pmt: 'CsI07-B', alertname: 'hv-trip' })).toBe(false);
    await h.clearFault(f1);
    await h.clearFault(f2);
    await waitState(acked, 'normal');
  });

  it('the journal is in InfluxDB as alarm readings (via the historian)', async () => {
    const influx = influxClient(servers.influxUrl, db);
    await waitFor(
      'alarm events in InfluxDB',
      async () => {
        const rows = await influx.query<{ state: string; by: string }>(
          `SELECT state, "by" FROM alarm WHERE alarm = 'hv-trip:CsI03-A'`,
        );
        return (
          rows.map((r) => r.state).join(',') === 'active-unack,active-ack,normal' &&
          rows[1].by === 'shift-alice'
        );
      },
      10_000,
    );
  });
});
