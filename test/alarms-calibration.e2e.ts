/**
 * Approval changes what the drift alarms expect (issue 11), on real processes: a calibration
 * record published retained on cicenns/sc/calibration/<pmt>, as the commissioning service does
 * on approval, is used by the running alarm service at once; a gain drift injected after it is
 * judged against the new record. A tube that is not commissioned (datasheet figures only) is not
 * judged by the calibration alarms, but its change detector still sees a drift.
 */
import type { MqttClient } from 'mqtt';
import { Topics } from '@cicenns/contracts';
import { AlarmsHarness, type AlarmViewLite, type JournalEventLite } from './support/alarms-harness';
import { testClient } from './support/mqtt';
import { sleep } from './support/processes';
import { readServerState, waitFor } from './support/servers';

jest.setTimeout(120_000);

const servers = readServerState();
/** datasheet-only at the start; the test approves a calibration of it */
const APPROVED = 'CsI08-A';
/** datasheet-only throughout */
const DATASHEET = 'CsI09-B';
const NOT_COMMISSIONED = 'not commissioned (datasheet figures only): not compared';
const DATASHEET_GAIN = 3.6e6; // config/calibration.yaml, R877-100

describe('approved calibrations and tubes not commissioned, on real processes', () => {
  const h = new AlarmsHarness({
    mqttUrl: servers.mqttUrl,
    tag: 'alcal',
    datasheetOnly: [APPROVED, DATASHEET],
    // the change detector's warm-up in seconds, not days: 6 gain fits of the simulator's 0.5 s
    overrides: [{ match: DATASHEET, rule: 'gain-creep', cusum: { warmupSamples: 6 } }],
  });
  let mqtt: MqttClient;
  const events: JournalEventLite[] = [];
  let health: { counters?: Record<string, number> } = {};
  const myTopics = [APPROVED, DATASHEET, 'CsI99-A'].map((p) => Topics.calibration.record(p));
  const clearMine = async () => {
    for (const t of myTopics) await mqtt.publishAsync(t, '', { qos: 1, retain: true });
  };

  beforeAll(async () => {
    mqtt = await testClient(servers.mqttUrl);
    await clearMine(); // a record left by an interrupted run would commission the tube at start
    await h.start(['simulator', 'intake', 'poller', 'alarms']);
    mqtt.on('message', (topic, payload) => {
      if (topic === Topics.alarms.events) events.push(JSON.parse(payload.toString()) as JournalEventLite);
      else if (topic === Topics.health('alarms') && payload.length) health = JSON.parse(payload.toString());
    });
    await mqtt.subscribeAsync([Topics.alarms.events, Topics.health('alarms')], { qos: 1 });
    await sleep(2500); // a few gain fits of every tube
  });

  afterAll(async () => {
    await h.stop();
    // the broker is shared: no record of ours may commission a tube of another test file
    await clearMine();
    await mqtt?.publishAsync(Topics.health('alarms'), '', { qos: 1, retain: true });
    await mqtt?.endAsync();
  });

  const view = async (alarmId: string) =>
    (
      await h.request<(AlarmViewLite & { message: string })[]>(Topics.alarms.query.list, {
        filter: { alarmIds: [alarmId] },
      })
    )[0];
  const waitView = async (
    what: string,
    alarmId: string,
    ok: (v: AlarmViewLite & { message: string }) => boolean,
    ms = 15_000,
  ) =>
    waitFor(what, async () => ok(await view(alarmId)), ms).catch(async (e) => {
      throw new Error(`${e.message}; now ${JSON.stringify(await view(alarmId))}\n${h.logs(1500)}`);
    });
  const ack = (alarmIds: string[]) =>
    h.request(Topics.alarms.cmd.ack, { alarmIds, user: 'shift-alice', origin: 'e2e' });

  it('before approval, the datasheet-only tube is not judged by gain-drift: the alarm says why', async () => {
    await waitView(
      'not commissioned message',
      `gain-drift:${APPROVED}`,
      (v) => v.message === NOT_COMMISSIONED,
    );
    expect(await view(`gain-drift:${APPROVED}`)).toMatchObject({ state: 'normal', conditionActive: false });
    // the commissioned tube next to it is judged against its record
    await waitView(
      'a commissioned tube is compared',
      'gain-drift:CsI08-B',
      (v) => v.message !== NOT_COMMISSIONED,
      5000,
    );
  });

  it('an approved record published retained takes effect at once; a drift after it alarms against the NEW record', async () => {
    const record = {
      pmt: APPROVED,
      version: 2,
      validFrom: new Date(Date.now() - 1000).toISOString(),
      hvV: 1400,
      gain: DATASHEET_GAIN * 1.02, // the tube as commissioning measured it: 2 % above its datasheet
      beta: 7.0,
      dcrHz: 2900,
      dcrRefTempC: 22,
      dcrTempCoeffPerC: 0.05,
      gainTempCoeffPerC: -0.003,
      measuredAt: new Date(Date.now() - 60_000).toISOString(),
      method: 'commissioning',
      by: 'hw-e2e',
      run: 'run-e2e-1',
      approvedBy: 'expert-e2e',
      approvedAt: new Date().toISOString(),
    };
    await mqtt.publishAsync(Topics.calibration.record(APPROVED), JSON.stringify({ record }), {
      qos: 1,
      retain: true,
    });
    await h
      .proc('alarms')
      .waitForOutput(
        /calibration v2 of CsI08-A \(commissioning, run run-e2e-1, by hw-e2e, approved by expert-e2e\) in force/,
        5000,
      );
    // judged from the next gain fit on (0.5 s), not a minute later: and all is well, said once
    await waitView(
      'judged against v2',
      `gain-drift:${APPROVED}`,
      (v) => /calibration v2: 3\.67e\+6/.test(v.message),
      3000,
    );
    expect(await view(`gain-drift:${APPROVED}`)).toMatchObject({ state: 'normal' });

    const fault = await h.fault({ type: 'gain-drift', pmt: APPROVED, pctPerHour: -18_000 }); // -5 %/s
    await waitView('gain-drift raised', `gain-drift:${APPROVED}`, (v) => v.state === 'active-unack');
    const raised = await view(`gain-drift:${APPROVED}`);
    expect(raised.message).toMatch(
      /^SPE gain \S+ is [\d.]+ % below the expected \S+ \(calibration v2: 3\.67e\+6 at 22 degC; limit (5|10) %\)$/,
    );
    await h.clearFault(fault);
    await waitView('gain-drift clears', `gain-drift:${APPROVED}`, (v) => v.state === 'cleared-unack');
    await ack([`gain-drift:${APPROVED}`]);
    await waitFor(
      'health counts the record',
      async () => (health.counters?.calibrationsApplied ?? 0) >= 1,
      5000,
    );
  });

  it('a drift on a tube not commissioned raises no gain-drift alarm, but gain-creep sees it', async () => {
    const before = events.length;
    const fault = await h.fault({ type: 'gain-drift', pmt: DATASHEET, pctPerHour: -18_000 });
    await waitView('gain-creep raised', `gain-creep:${DATASHEET}`, (v) => v.state === 'active-unack', 20_000);
    const creep = await view(`gain-creep:${DATASHEET}`);
    expect(creep.message).toMatch(/^gain creeping down: ~/);
    // by now the gain is far more than 10 % below its datasheet figure: still not compared
    const drift = await view(`gain-drift:${DATASHEET}`);
    expect(drift).toMatchObject({ state: 'normal', conditionActive: false, message: NOT_COMMISSIONED });
    const raisedIds = events
      .slice(before)
      .filter((e) => e.action === 'raise')
      .map((e) => e.alarmId);
    expect(raisedIds).toContain(`gain-creep:${DATASHEET}`);
    expect(raisedIds).not.toContain(`gain-drift:${DATASHEET}`);
    await h.clearFault(fault);
  });

  it('a bad calibration message is refused and counted; the service keeps judging', async () => {
    const rejectedBefore = health.counters?.calibrationsRejected ?? 0;
    await mqtt.publishAsync(
      Topics.calibration.record('CsI99-A'),
      JSON.stringify({ record: { pmt: 'CsI99-A' } }),
      {
        qos: 1,
      },
    );
    await mqtt.publishAsync(Topics.calibration.record(DATASHEET), '{"record": "not one"', { qos: 1 });
    await waitFor(
      'two refusals counted',
      async () => (health.counters?.calibrationsRejected ?? 0) >= rejectedBefore + 2,
      8000,
    );
    expect(h.proc('alarms').output).toMatch(
      /calibration message on cicenns\/sc\/calibration\/CsI99-A refused \(schema\)/,
    );
    expect(await view(`gain-drift:${DATASHEET}`)).toMatchObject({ message: NOT_COMMISSIONED });
  });
});
