import { Topics, type Reading } from '@cicenns/contracts';
import { LiveCache } from './live-cache';

const TS = Date.UTC(2026, 11, 2);
const hv = (id: string, ts: number, fields: Reading['fields'], extra: Partial<Reading> = {}): Reading => ({
  m: 'hv',
  id,
  ts,
  quality: 'good',
  fields,
  source: 'crate-01',
  ...extra,
});
const batch = (...readings: Reading[]) =>
  Buffer.from(JSON.stringify({ service: 'poller', seq: 1, readings }));
const topic = `${Topics.readingsPrefix}hv`;

describe('LiveCache latest readings', () => {
  it('keeps the newest reading of each subject, whether copied in place or replaced', () => {
    const c = new LiveCache();
    c.onMessage(topic, batch(hv('p1', TS, { vmon: 1200, status: 1 }, { prevTs: TS - 1000 })));
    const held = c.get('hv', 'p1')!;
    // same fields: the held object takes the new values (the parsed one is not kept)
    c.onMessage(topic, batch(hv('p1', TS + 1000, { vmon: 1201.5, status: 65 }, { prevTs: TS })));
    expect(c.get('hv', 'p1')).toBe(held);
    expect(held).toEqual(hv('p1', TS + 1000, { vmon: 1201.5, status: 65 }, { prevTs: TS }));
    // an older one changes nothing
    c.onMessage(topic, batch(hv('p1', TS, { vmon: 1, status: 1 }, { prevTs: TS })));
    expect(c.get('hv', 'p1')?.fields.vmon).toBe(1201.5);
    // other fields or keys (a bad reading): replaced whole, no field of the old one left over
    c.onMessage(topic, batch(hv('p1', TS + 2000, {}, { quality: 'bad', error: 'timeout' })));
    expect(c.get('hv', 'p1')).toEqual(hv('p1', TS + 2000, {}, { quality: 'bad', error: 'timeout' }));
    c.onMessage(topic, batch(hv('p1', TS + 3000, { vmon: 1202, extra: 'x' })));
    expect(c.get('hv', 'p1')).toEqual(hv('p1', TS + 3000, { vmon: 1202, extra: 'x' }));
    expect(held.ts).toBe(TS + 1000); // the object replaced is no longer written
  });

  it('gives listeners the readings of the batch as received (to read during the call, not keep)', () => {
    const c = new LiveCache();
    const seen: unknown[] = [];
    c.onReadings((rs) => seen.push(...rs.map((r) => r.fields.vmon)));
    c.onMessage(topic, batch(hv('p1', TS, { vmon: 1 })));
    c.onMessage(topic, batch(hv('p1', TS + 1, { vmon: 2 })));
    expect(seen).toEqual([1, 2]);
    expect(c.get('hv', 'p1')?.fields.vmon).toBe(2);
  });
});
