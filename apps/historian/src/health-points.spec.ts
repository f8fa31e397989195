import { parseHealth, type ServiceHealth } from '@cicenns/contracts';
import { countServiceLines, MAX_SERVICE_FIELDS, servicePoint, ServicePointGate } from './health-points';

const NOW = 1_700_000_000_000;
const report = (over: Partial<ServiceHealth> = {}): ServiceHealth => ({
  service: 'intake',
  state: 'running',
  ts: NOW - 500,
  connections: { mqtt: { state: 'up' } },
  counters: { received: 12, readingsAccepted: 10 },
  ...over,
});

describe('health report -> `service` point', () => {
  it('flattens counters, rejects, refused entries and warnings into float fields with the state', () => {
    const p = servicePoint(
      report({
        rejects: { unknown_pmt: 2, schema: 1 },
        rejectedEntries: { out_of_range: 3 },
        warnings: { unknown_field: 4 },
      }),
      NOW,
    );
    expect(p).toEqual({
      ok: true,
      line:
        'service,service=intake state="running",received=12,readings_accepted=10,rejects_unknown_pmt=2,' +
        'rejects_schema=1,rejected_entries_out_of_range=3,warnings_unknown_field=4 1699999999500',
      series: 'service,service=intake',
      values: {
        state: 'running',
        received: 12,
        readings_accepted: 10,
        rejects_unknown_pmt: 2,
        rejects_schema: 1,
        rejected_entries_out_of_range: 3,
        warnings_unknown_field: 4,
      },
      ts: 1699999999500,
      fields: 6,
      skipped: 0,
    });
  });

  it("takes the historian's spool age and the poller's sweep time per device from their details", () => {
    const historian = servicePoint(
      report({
        service: 'historian',
        counters: { backlogLines: 7 },
        detail: { backlogOldestMs: 120, url: 'x' },
      }),
      NOW,
    );
    expect(historian.ok && historian.line).toBe(
      'service,service=historian state="running",backlog_lines=7,backlog_oldest_ms=120 1699999999500',
    );
    const poller = servicePoint(
      report({
        service: 'poller',
        state: 'degraded',
        counters: {},
        detail: { devices: { 'hv-crystal': { lastSweepMs: 12.5 }, temps: { lastSweepMs: 3 }, odd: 'x' } },
      }),
      NOW,
    );
    expect(poller.ok && poller.line).toBe(
      'service,service=poller state="degraded",sweep_ms_hv_crystal=12.5,sweep_ms_temps=3 1699999999500',
    );
  });

  it('skips and counts what is not a finite number, an unsafe name or over the field cap', () => {
    const counters: Record<string, number> = { 'bad name"x': 1, ok: Number.NaN };
    for (let i = 0; i < MAX_SERVICE_FIELDS + 5; i++) counters[`c${i}`] = i;
    const p = servicePoint(report({ counters, detail: { devices: { d: { lastSweepMs: 'slow' } } } }), NOW);
    if (!p.ok) throw new Error(p.reason);
    expect(p.fields).toBe(MAX_SERVICE_FIELDS);
    // 'bad name"x' snake-cases to a safe name; NaN, the 5 over the cap and the string sweep are skipped
    expect(p.skipped).toBe(1 + 6 + 1);
    expect(p.line).toContain('bad_name_x=1,c0=0,');
    expect(p.line).not.toContain('ok=');
  });

  it('refuses an unsafe service name and a report a day old or from the future', () => {
    expect(servicePoint(report({ service: 'a b,c=d' }), NOW)).toMatchObject({ ok: false });
    expect(servicePoint(report({ ts: NOW - 25 * 3600_000 }), NOW)).toMatchObject({ ok: false });
    expect(servicePoint(report({ ts: NOW + 3600_000 }), NOW)).toMatchObject({ ok: false });
  });

  it('one of several instances (scaleOut) gets tag instance; an unsafe instance is refused', () => {
    const p = servicePoint(report({ service: 'intake', instance: '2' }), NOW);
    expect(p.ok && p.line).toMatch(/^service,service=intake,instance=2 state=/);
    expect(servicePoint(report({ instance: 'a b' }), NOW)).toMatchObject({ ok: false });
  });

  it('counts the service points of a body of lines', () => {
    expect(countServiceLines('')).toBe(0);
    expect(countServiceLines('service,service=a x=1 1\nhv,pmt=A vmon=1 1\nservice,service=b x=1 1')).toBe(2);
    expect(countServiceLines('hv,pmt=A vmon=1 1\nalarm,service=x y=1 1')).toBe(0);
  });

  it('a state with quotes is escaped; a payload that is no health report does not parse', () => {
    const p = servicePoint(report({ state: 'odd"state' as ServiceHealth['state'] }), NOW);
    expect(p.ok && p.line).toContain('state="odd\\"state"');
    expect(parseHealth('{"service":"x"}')).toBeUndefined();
  });
});

describe('ServicePointGate', () => {
  it('one point per service per period, at once on a change of state, a bounded number of services', () => {
    const gate = new ServicePointGate(10_000, 2);
    expect(gate.admit('intake', 'running', 0)).toBe(true);
    expect(gate.admit('intake', 'running', 2000)).toBe(false);
    expect(gate.admit('intake', 'degraded', 4000)).toBe(true);
    expect(gate.admit('intake', 'degraded', 13_999)).toBe(false);
    expect(gate.admit('intake', 'degraded', 14_000)).toBe(true);
    expect(gate.admit('poller', 'running', 14_000)).toBe(true);
    expect(gate.admit('made-up', 'running', 14_000)).toBe(false);
  });
});
