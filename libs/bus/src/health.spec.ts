import fc from 'fast-check';
import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import {
  encodeHealth,
  healthCapBytes,
  healthReceiveCapBytes,
  parseHealth,
  type ServiceHealth,
} from '@cicenns/contracts';
import { HealthReporter } from './health-reporter';
import { HistorianSession } from './historian-session';

const base: ServiceHealth = { service: 'intake', state: 'running', ts: 1, connections: {}, counters: {} };

describe('encodeHealth: every health message within the cap', () => {
  it('leaves a normal report as it is', () => {
    const h = { ...base, counters: { received: 5 }, rejects: { schema: 2 }, detail: { limits: { a: 1 } } };
    expect(JSON.parse(encodeHealth(h))).toEqual(h);
  });

  it('cuts a 600 KB report (the issue: whole rejects kept in health) to the cap, still a readable report', () => {
    const h = {
      ...base,
      connections: { mqtt: { state: 'up' as const, detail: 'x'.repeat(100_000) } },
      rejects: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`reason${i}`, i])),
      detail: { lastRejects: Array.from({ length: 20 }, () => 'y'.repeat(30_000)) },
    };
    const out = encodeHealth(h);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(healthCapBytes(1));
    const back = parseHealth(out)!;
    expect(back).toMatchObject({ service: 'intake', state: 'running' });
    expect(back.connections.mqtt).toEqual({ state: 'up', detail: 'x'.repeat(64) });
    expect(String(back.detail?.truncated)).toMatch(/cut to the 16640-byte cap/);
  });

  it('property: any report, any size, encodes within the cap and parses back with its state', () => {
    const str = fc.string({ maxLength: 3000 });
    fc.assert(
      fc.property(
        fc.dictionary(str, fc.record({ state: fc.constantFrom('up', 'down'), detail: str }), { maxKeys: 30 }),
        fc.dictionary(str, fc.integer(), { maxKeys: 300 }),
        fc.dictionary(str, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 10 }),
        (connections, counters, detail) => {
          const h = { ...base, connections, counters, rejects: counters, detail } as ServiceHealth;
          const out = encodeHealth(h);
          expect(Buffer.byteLength(out)).toBeLessThanOrEqual(healthCapBytes(Object.keys(connections).length));
          expect(parseHealth(out, healthReceiveCapBytes(30))?.state).toBe('running');
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps every connection of a poller of 45,000 PMTs (1,776 links and crates), whose devices' detail is cut", () => {
    const connections = Object.fromEntries(
      Array.from({ length: 1776 }, (_, i) => [
        `device/hv-gw${String(i >> 5).padStart(2, '0')}-crate${String(i & 31).padStart(2, '0')}`,
        {
          state: i === 1775 ? ('down' as const) : ('up' as const),
          since: 1_764_000_000_000,
          detail: 'z'.repeat(500),
        },
      ]),
    );
    // about 250 bytes of detail per device: far above any cap, dropped first
    const detail = {
      devices: Object.fromEntries(
        Object.keys(connections).map((k) => [k, { polls: 1, lastError: 'e'.repeat(200) }]),
      ),
    };
    const out = encodeHealth({ ...base, service: 'poller', connections, detail });
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(healthCapBytes(1776));
    // a receiver with the default cap refuses it: receivers take the configuration's (healthReceiveCap)
    expect(parseHealth(out)).toBeUndefined();
    const back = parseHealth(out, healthReceiveCapBytes(1776 + 16))!;
    expect(Object.keys(back.connections)).toHaveLength(1776);
    expect(back.connections['device/hv-gw55-crate15']).toMatchObject({
      state: 'down',
      detail: 'z'.repeat(64),
    });
    expect(String(back.detail?.truncated)).toMatch(/cut to the/);
  });
});

describe('parseHealth: what receivers accept', () => {
  it.each([
    ['not JSON', '{'],
    ['null', 'null'],
    ['a number', '5'],
    ['no connections', JSON.stringify({ service: 'x', state: 'running', ts: 1, counters: {} })],
    ['a counter that is not a number', JSON.stringify({ ...base, counters: { a: 'b' } })],
    ['too large', JSON.stringify({ ...base, detail: { x: 'y'.repeat(100_000) } })],
    ['empty', ''],
  ])('refuses %s', (_what, payload) => {
    expect(parseHealth(payload)).toBeUndefined();
  });
});

class FakeClient extends EventEmitter {
  connected = true;
  subscribed: (string | string[])[] = [];
  unsubscribed: (string | string[])[] = [];
  subscribe(t: string | string[]) {
    this.subscribed.push(t);
  }
  unsubscribe(t: string | string[]) {
    this.unsubscribed.push(t);
  }
}

describe("HistorianSession: the historian's persistent session is known to exist", () => {
  it("only from a report naming the expected session (any state, also its last will), not another prefix's", async () => {
    const c = new FakeClient();
    const s = new HistorianSession(c as unknown as MqttClient, 'cicenns').watch();
    expect(c.subscribed).toEqual([['cicenns/sc/health/historian', 'cicenns/sc/health/+']]);
    const report = (session?: string, state = 'offline') =>
      c.emit(
        'message',
        'cicenns/sc/health/historian',
        Buffer.from(JSON.stringify({ ...base, service: 'historian', state, session })),
      );
    report(undefined);
    report('other-historian', 'running');
    c.emit('message', 'cicenns/sc/health/historian', Buffer.from('garbage'));
    expect(s.known).toBe(false);
    report('cicenns-historian', 'offline');
    await s.ready;
    expect(s.known).toBe(true);
    expect(c.unsubscribed).toEqual([['cicenns/sc/health/historian', 'cicenns/sc/health/+']]);
    expect(s.waitingFor).toMatch(/cicenns-historian/);
  });

  it('from one instance of several historians (shared subscription), under its own name and session', async () => {
    const c = new FakeClient();
    const s = new HistorianSession(c as unknown as MqttClient, 'cicenns').watch();
    const report = (topic: string, h: Partial<ServiceHealth>) =>
      c.emit('message', topic, Buffer.from(JSON.stringify({ ...base, service: 'historian', ...h })));
    // another service's health, an instance of another prefix, a session under the wrong name
    report('cicenns/sc/health/intake-1', {
      service: 'intake',
      instance: '1',
      session: 'cicenns-historian-1',
    });
    report('cicenns/sc/health/historian-2', { instance: '2', session: 'other-historian-2' });
    report('cicenns/sc/health/historian-2', { instance: '2', session: 'cicenns-historian-3' });
    report('cicenns/sc/health/historian-3', { instance: '3', session: 'cicenns-historian' });
    expect(s.known).toBe(false);
    report('cicenns/sc/health/historian-2', {
      instance: '2',
      session: 'cicenns-historian-2',
      state: 'offline',
    });
    await s.ready;
    expect(s.known).toBe(true);
  });
});

describe('health of one instance of several', () => {
  it('goes under <service>-<instance> and names its instance; the single one is as before', async () => {
    const published: { topic: string; body: ServiceHealth }[] = [];
    const client = Object.assign(new EventEmitter(), {
      connected: true,
      options: { clientId: 'cicenns-historian-2' },
      publish: (topic: string, payload: string, _o: unknown, done?: () => void) => {
        published.push({ topic, body: JSON.parse(payload) });
        done?.();
      },
    });
    const snapshot = () => ({ state: 'running' as const, connections: {}, counters: {} });
    // nothing before start()
    new HealthReporter(client as unknown as MqttClient, 'historian', snapshot, 60_000, '2').publish();
    const r = new HealthReporter(client as unknown as MqttClient, 'historian', snapshot, 60_000, '2').start();
    new HealthReporter(client as unknown as MqttClient, 'intake', snapshot, 60_000).start();
    await r.stop();
    expect(published.map((p) => `${p.topic} ${p.body.state}`)).toEqual([
      'cicenns/sc/health/historian-2 running',
      'cicenns/sc/health/intake running',
      'cicenns/sc/health/historian-2 offline',
    ]);
    expect(published[0].body).toMatchObject({
      service: 'historian',
      instance: '2',
      session: 'cicenns-historian-2',
    });
    expect(published[2].body).toMatchObject({ service: 'historian', instance: '2' });
    expect(published[1].body.instance).toBeUndefined();
    expect(parseHealth(JSON.stringify(published[0].body))?.instance).toBe('2');
  });
});
