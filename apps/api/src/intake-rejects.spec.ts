import { healthReceiveCapBytes } from '@cicenns/contracts';
import { IntakeRejects } from './intake-rejects';
import { LiveCache } from './live-cache';

const notice = (i: number) =>
  JSON.stringify({ ts: i, service: 'intake', topic: 't', reason: 'schema', detail: `d${i}` });

describe('IntakeRejects: the bounded ring behind GET /api/intake/rejects', () => {
  it('keeps the newest `capacity`, newest first, and counts what is not a notice', () => {
    const r = new IntakeRejects(3);
    for (let i = 1; i <= 5; i++) r.onMessage(notice(i));
    r.onMessage('{');
    r.onMessage(
      JSON.stringify({ ts: 1, service: 'intake', topic: 'x'.repeat(1000), reason: 'r', detail: '' }),
    );
    r.onMessage(Buffer.alloc(10_000, 0x20));
    expect(r.latest(10).map((n) => n.ts)).toEqual([5, 4, 3]);
    expect(r.latest(2).map((n) => n.ts)).toEqual([5, 4]);
    expect(r.bad).toBe(3);
    expect(r.received).toBe(5);
  });
});

describe('LiveCache: health messages from the bus', () => {
  const ok = (service: string) =>
    Buffer.from(JSON.stringify({ service, state: 'running', ts: 1, connections: {}, counters: {} }));

  it('refuses malformed ones without losing the last good one, and bounds the number of services', () => {
    const c = new LiveCache();
    c.onMessage('cicenns/sc/health/intake', ok('intake'));
    for (const bad of ['null', '5', '{"state":"running"}', '{'])
      c.onMessage('cicenns/sc/health/intake', Buffer.from(bad));
    expect(c.services.get('intake')?.health.state).toBe('running');
    expect(c.badHealth).toBe(4);
    for (let i = 0; i < 200; i++) c.onMessage(`cicenns/sc/health/s${i}`, ok(`s${i}`));
    expect(c.services.size).toBe(64);
    c.onMessage('cicenns/sc/health/intake', Buffer.alloc(0)); // retained report cleared
    expect(c.services.has('intake')).toBe(false);
  });

  it("takes a poller's report of every crate of a large detector up to the configuration's cap, no larger", () => {
    // 1,776 links and crates (45,000 PMTs): about 100 KB, beyond the 64 KB a receiver took before
    const connections = Object.fromEntries(
      Array.from({ length: 1776 }, (_, i) => [
        `device/hv-crate-${i}`,
        { state: 'up', since: 1_764_000_000_000 },
      ]),
    );
    const report = Buffer.from(
      JSON.stringify({ service: 'poller', state: 'running', ts: 1, connections, counters: {} }),
    );
    const sized = new LiveCache(healthReceiveCapBytes(1776 + 16));
    sized.onMessage('cicenns/sc/health/poller', report);
    expect(Object.keys(sized.services.get('poller')!.health.connections)).toHaveLength(1776);
    const small = new LiveCache(healthReceiveCapBytes(10));
    small.onMessage('cicenns/sc/health/poller', report);
    expect(small.services.has('poller')).toBe(false);
    expect(small.badHealth).toBe(1);
  });
});

describe('LiveCache: reading batches from the bus', () => {
  const hv = (i: number, ts = 1_800_000_000_000) => ({
    m: 'hv',
    id: `P${i}`,
    ts,
    quality: 'good',
    fields: { vmon: 1200, status: 1 },
    source: 'crate',
  });

  it('a 45,000-reading batch with bad entries: the good stored and passed on, each bad counted by reason', () => {
    const c = new LiveCache();
    const seen: number[] = [];
    c.onReadings((rs) => seen.push(rs.length));
    const readings: unknown[] = Array.from({ length: 45_000 }, (_, i) => hv(i));
    readings[3] = { ...hv(3), ts: 'late' };
    readings[40_000] = { ...hv(40_000), quality: 'stale' };
    readings[44_000] = { ...hv(44_000), ts: 'early' };
    c.onMessage(
      'cicenns/sc/readings/poller',
      Buffer.from(JSON.stringify({ service: 'poller', seq: 1, readings })),
    );
    expect(seen).toEqual([44_997]);
    expect(c.get('hv', 'P0')?.fields.vmon).toBe(1200);
    expect(c.get('hv', 'P44999')).toBeDefined();
    expect(c.get('hv', 'P3')).toBeUndefined();
    expect(c.badReadings).toBe(3);
    expect(c.badBatches).toBe(0);
    expect([...c.badReadingReasons.values()].reduce((a, b) => a + b)).toBe(3);
    expect([...c.badReadingReasons.keys()].some((r) => r.startsWith('ts: '))).toBe(true);
    expect(c.lastBadReading).toMatchObject({ topic: 'cicenns/sc/readings/poller', index: 44_000 });
  });

  it('keeps the newest reading of a subject; what is no batch is counted and changes nothing', () => {
    const c = new LiveCache();
    const batch = (ts: number) =>
      Buffer.from(JSON.stringify({ service: 'p', seq: 1, readings: [hv(1, ts)] }));
    c.onMessage('cicenns/sc/readings/p', batch(2000));
    c.onMessage('cicenns/sc/readings/p', batch(1000));
    expect(c.get('hv', 'P1')?.ts).toBe(2000);
    for (const bad of ['{', 'null', '{"service":"p","seq":1}', '{"service":"p","seq":"1","readings":[]}'])
      c.onMessage('cicenns/sc/readings/p', Buffer.from(bad));
    expect(c.badBatches).toBe(4);
    expect(c.get('hv', 'P1')?.ts).toBe(2000);
  });

  it('bounds the reasons it counts: invented field names share one "other" beyond 32 reasons', () => {
    const c = new LiveCache();
    const readings = Array.from({ length: 100 }, (_, i) => ({ ...hv(i), fields: { [`f${i}`]: null } }));
    c.onMessage('cicenns/sc/readings/p', Buffer.from(JSON.stringify({ service: 'p', seq: 1, readings })));
    expect(c.badReadings).toBe(100);
    expect(c.badReadingReasons.size).toBe(33);
    expect(c.badReadingReasons.get('other')).toBe(68);
  });
});
