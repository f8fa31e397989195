import type { AlarmRecord } from './alarm-record';
import { AlertmanagerNotifier } from './alertmanager-notifier';
import { alertLabels, toAlert, type AmAlert } from './alertmanager-payload';
import { acknowledge, applyCondition, newRecord, setSuppression, shelve } from './lifecycle';
import { deviceDown, hvTrip } from '../../../../test/support/factories/alarm-conditions';

const beam = { on: true, power_kw: 140 };
const clock = (now: number) => ({ now, beam });

function raisedTrip(over = {}): AlarmRecord {
  return applyCondition(newRecord(hvTrip(false), 0), hvTrip(true, { delayMs: 0, ...over }), clock(1000))
    .record;
}

describe('Alertmanager payloads', () => {
  it('labels route and group: alertname, severity, subsystem, crystal, pmt, device, site', () => {
    expect(alertLabels(raisedTrip(), 'CICENNS')).toEqual({
      alertname: 'hv-trip',
      severity: 'alarm',
      subsystem: 'hv',
      alarm_id: 'hv-trip:CsI01-A',
      site: 'CICENNS',
      crystal: 'CsI01',
      pmt: 'CsI01-A',
      device: 'hv-crystal',
    });
    const veto = applyCondition(
      newRecord(hvTrip(false), 0),
      hvTrip(true, {
        delayMs: 0,
        subject: { id: 'PSV03-B', kind: 'pmt', parent: 'PSV03', parentKind: 'panel', device: 'hv-veto' },
      }),
      clock(1),
    ).record;
    expect(alertLabels(veto, 'X')).toMatchObject({ panel: 'PSV03', pmt: 'PSV03-B', device: 'hv-veto' });
    // names are configuration: a panel called VETO03 is a panel because the subject says so
    const named = applyCondition(
      newRecord(hvTrip(false), 0),
      hvTrip(true, {
        delayMs: 0,
        subject: { id: 'VETO03-A', kind: 'pmt', parent: 'VETO03', parentKind: 'panel', device: 'hv-veto' },
      }),
      clock(1),
    ).record;
    expect(alertLabels(named, 'X')).toMatchObject({ panel: 'VETO03', pmt: 'VETO03-A' });
    expect(alertLabels(named, 'X').crystal).toBeUndefined();
    const crate = newRecord(deviceDown('hv-veto', true), 0);
    expect(alertLabels(crate, 'X')).toEqual({
      alertname: 'device-down',
      severity: 'warning',
      subsystem: 'hv',
      alarm_id: 'device-down:hv-veto',
      site: 'X',
      device: 'hv-veto',
    });
  });

  it('annotations: summary, description, guidance, console link, beam; startsAt/endsAt', () => {
    const r = acknowledge(raisedTrip(), { by: 'alice', comment: 'base swap' }, clock(1500)).record;
    const a = toAlert(r, { site: 'S', consoleUrl: 'http://console:8080/', beam }, 2000);
    expect(a).toEqual({
      labels: expect.objectContaining({ alertname: 'hv-trip' }),
      annotations: {
        summary: 'HV channel tripped',
        description:
          'hv-trip:CsI01-A (alarm, hv): HV channel tripped. Value 0 V (limit 1330 V). Acknowledged by alice: base swap.',
        guidance: 'Check the PMT base; reset the channel.',
        console_url: 'http://console:8080/#/alarms/hv-trip%3ACsI01-A',
        beam: 'on, 140 kW',
      },
      startsAt: new Date(1000).toISOString(),
      endsAt: new Date(2000).toISOString(),
      generatorURL: 'http://console:8080/#/alarms/hv-trip%3ACsI01-A',
    });
  });
});

describe('Alertmanager notifier', () => {
  let posts: AmAlert[][];
  let failNext: number;
  let records: AlarmRecord[];
  let t: number;
  const fakeFetch = (async (_url: string, init: { body: string }) => {
    if (failNext > 0) {
      failNext--;
      throw new Error('connect ECONNREFUSED');
    }
    posts.push(JSON.parse(init.body) as AmAlert[]);
    return { ok: true, status: 200, text: async () => '' };
  }) as unknown as typeof fetch;
  const make = () =>
    new AlertmanagerNotifier(
      {
        url: 'http://am:9093',
        site: 'S',
        consoleUrl: 'http://c',
        resendIntervalMs: 60_000,
        initialBackoffMs: 5,
      },
      () => records,
      () => beam,
      fakeFetch,
      () => t,
    );
  const settle = () => new Promise((r) => setTimeout(r, 30));

  beforeEach(() => {
    posts = [];
    failNext = 0;
    records = [];
    t = 5000;
  });

  it('fires on raise, resends all firing, resolves with endsAt on clear', async () => {
    const n = make();
    let r = raisedTrip();
    records = [r];
    n.update(r);
    await settle();
    expect(posts).toHaveLength(1);
    expect(posts[0][0].endsAt).toBeUndefined();
    n.resendAll();
    await settle();
    expect(posts).toHaveLength(2);
    r = applyCondition(r, hvTrip(false), clock(t)).record; // cleared-unack: condition gone
    records = [r];
    n.update(r);
    await settle();
    expect(posts[2]).toEqual([expect.objectContaining({ endsAt: new Date(5000).toISOString() })]);
    n.resendAll();
    await settle();
    expect(posts).toHaveLength(3); // nothing firing, nothing to resend
    expect(n.stats).toMatchObject({ state: 'up', posts: 3, failures: 0, firing: 0 });
  });

  it('shelved and suppressed alarms are resolved, not sent', async () => {
    const n = make();
    const r = raisedTrip();
    n.update(r);
    await settle();
    n.update(shelve(r, { by: 'b', reason: 'r', until: 1e13 }, clock(t)).record);
    await settle();
    expect(posts[1][0].endsAt).toBeDefined();
    const s = setSuppression(raisedTrip(), 'device-down:hv-crystal', clock(t)).record;
    const m = make();
    m.update(s);
    await settle();
    expect(posts).toHaveLength(2); // never fired, nothing to resolve
  });

  it('a severity change ends the old alert and starts the new one', async () => {
    const n = make();
    const w = raisedTrip({ severity: 'warning' });
    n.update(w);
    await settle();
    n.update(applyCondition(w, hvTrip(true, { delayMs: 0 }), clock(2000)).record);
    await settle();
    const [old, now] = posts[1];
    expect(old.labels.severity).toBe('warning');
    expect(old.endsAt).toBeDefined();
    expect(now.labels.severity).toBe('alarm');
    expect(now.endsAt).toBeUndefined();
  });

  it('network errors: retried with back-off and counted, latest version wins', async () => {
    const n = make();
    failNext = 2;
    const r = raisedTrip();
    n.update(r);
    n.update(acknowledge(r, { by: 'a' }, clock(t)).record);
    await new Promise((res) => setTimeout(res, 100));
    expect(n.stats.failures).toBe(2);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toHaveLength(1);
    expect(posts[0][0].annotations.description).toMatch(/Acknowledged by a/);
    expect(n.stats.state).toBe('up');
  });
});
