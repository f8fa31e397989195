import fc from 'fast-check';
import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { encodeHealth, MAX_HEALTH_BYTES, parseHealth, type ServiceHealth } from '@cicenns/contracts';
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
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(MAX_HEALTH_BYTES);
    const back = parseHealth(out)!;
    expect(back).toMatchObject({ service: 'intake', state: 'running' });
    expect(String(back.detail?.truncated)).toMatch(/cut to the 16384-byte cap/);
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
          expect(Buffer.byteLength(out)).toBeLessThanOrEqual(MAX_HEALTH_BYTES);
          expect(parseHealth(out)?.state).toBe('running');
        },
      ),
      { numRuns: 300 },
    );
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
  subscribed: string[] = [];
  unsubscribed: string[] = [];
  subscribe(t: string) {
    this.subscribed.push(t);
  }
  unsubscribe(t: string) {
    this.unsubscribed.push(t);
  }
}

describe("HistorianSession: the historian's persistent session is known to exist", () => {
  it("only from a report naming the expected session (any state, also its last will), not another prefix's", async () => {
    const c = new FakeClient();
    const s = new HistorianSession(c as unknown as MqttClient, 'cicenns').watch();
    expect(c.subscribed).toEqual(['cicenns/sc/health/historian']);
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
    expect(c.unsubscribed).toEqual(['cicenns/sc/health/historian']);
    expect(s.waitingFor).toMatch(/cicenns-historian/);
  });
});
