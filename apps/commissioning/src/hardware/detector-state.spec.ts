import { Topics, type Reading } from '@cicenns/contracts';
import { loadSystemConfig } from '@cicenns/model';
import { DetectorState, MAX_READINGS_BATCH_BYTES } from './detector-state';

const { detector } = loadSystemConfig(undefined, {});
const topic = Topics.readings('poller');
let seq = 0;
const batch = (...readings: Reading[]) => JSON.stringify({ service: 'poller', seq: seq++, readings });
const hv = (
  id: string,
  ts: number,
  fields: Record<string, number>,
  over: Partial<Reading> = {},
): Reading => ({
  m: 'hv',
  id,
  ts,
  quality: 'good',
  fields,
  source: 'hv-crystal',
  ...over,
});

describe('DetectorState', () => {
  it('keeps the latest hv, temperature and beam reading, with when it arrived', () => {
    let now = 5000;
    const s = new DetectorState(detector, () => now);
    s.onBatch(
      topic,
      batch(hv('CsI01-A', 100, { vmon: 1398.2, imon: 7.1, vset: 1400, power: 1, status: 1, iset: 200 }), {
        m: 'temperature',
        id: 'T-CsI01',
        ts: 100,
        quality: 'good',
        fields: { value_c: 21.5 },
        source: 't',
      }),
    );
    now = 6000;
    s.onBatch(
      Topics.readings('intake'),
      Buffer.from(
        batch({
          m: 'beam',
          id: '',
          ts: 120,
          quality: 'good',
          fields: { on: true, power_kw: 850, rep_rate_hz: 60 },
          source: 'daq',
        }),
      ),
    );
    expect(s.hv('CsI01-A')).toEqual({
      vmon: 1398.2,
      imon: 7.1,
      vset: 1400,
      power: 1,
      status: 1,
      ts: 100,
      receivedAt: 5000,
      quality: 'good',
    });
    expect(s.temperature('T-CsI01')).toEqual({ valueC: 21.5, ts: 100 });
    expect(s.beam()).toEqual({ on: true, power_kw: 850, ts: 120 });
    expect(s.hv('CsI01-B')).toBeUndefined();

    // an older reading arriving late does not replace a newer one; a bad one does, with its reason
    s.onBatch(topic, batch(hv('CsI01-A', 90, { vmon: 10 })));
    expect(s.hv('CsI01-A')?.vmon).toBe(1398.2);
    s.onBatch(topic, batch(hv('CsI01-A', 130, {}, { quality: 'bad', error: 'timeout' })));
    expect(s.hv('CsI01-A')).toEqual({ ts: 130, receivedAt: 6000, quality: 'bad', error: 'timeout' });
  });

  it('counts bad batches, unknown subjects and unusable fields, and keeps going', () => {
    const s = new DetectorState(detector);
    s.onBatch(topic, 'not json');
    s.onBatch(topic, JSON.stringify({ service: 'poller', seq: 1, readings: [{ m: 'hv' }] }));
    s.onBatch(topic, Buffer.alloc(MAX_READINGS_BATCH_BYTES + 1, 0x20));
    s.onBatch(topic, batch(hv('CsI99-A', 1, { vmon: 1 })));
    s.onBatch(
      topic,
      batch({
        m: 'temperature',
        id: 'T-CsI01',
        ts: 1,
        quality: 'good',
        fields: { value_c: 'warm' },
        source: 't',
      }),
    );
    s.onBatch(Topics.healthAll, 'ignored: not a readings topic');
    s.onBatch(topic, batch(hv('CsI01-A', 1, { vmon: 3 })));
    expect(s.counters()).toMatchObject({
      batches: 3,
      badBatches: 2,
      tooLarge: 1,
      unknownSubjects: 1,
      badFields: 1,
    });
    expect(s.hv('CsI01-A')?.vmon).toBe(3);
  });

  it('waitForHv resolves at once when the state holds, or when a reading makes it hold', async () => {
    const s = new DetectorState(detector);
    s.onBatch(topic, batch(hv('CsI01-A', 1, { vmon: 1000 })));
    await expect(s.waitForHv('CsI01-A', (h) => (h.vmon ?? 0) > 900, 1000)).resolves.toMatchObject({
      vmon: 1000,
    });
    const waiting = s.waitForHv('CsI01-A', (h) => (h.vmon ?? 0) > 1390, 5000);
    s.onBatch(topic, batch(hv('CsI01-A', 2, { vmon: 1200 })));
    expect(s.counters().waiting).toBe(1);
    s.onBatch(topic, batch(hv('CsI01-A', 3, { vmon: 1395 })));
    await expect(waiting).resolves.toMatchObject({ vmon: 1395, ts: 3 });
    expect(s.counters().waiting).toBe(0);
  });

  it('waitForHv rejects after its timeout with the last reading, on abort, and when the predicate throws', async () => {
    const s = new DetectorState(detector);
    await expect(s.waitForHv('CsI01-B', () => false, 30)).rejects.toThrow(
      'CsI01-B: not reached within 0.03 s (no HV reading of it yet)',
    );
    s.onBatch(topic, batch(hv('CsI01-B', 1, { vmon: 50, power: 1, status: 3 })));
    await expect(s.waitForHv('CsI01-B', () => false, 30)).rejects.toThrow(
      'CsI01-B: not reached within 0.03 s (last reading VMon 50 V, power on, status 3)',
    );
    const ac = new AbortController();
    const aborted = s.waitForHv('CsI01-B', () => false, 10_000, ac.signal);
    ac.abort(new Error('run aborted by alice'));
    await expect(aborted).rejects.toThrow('run aborted by alice');
    const tripped = s.waitForHv(
      'CsI01-B',
      (h) => {
        if ((h.status ?? 0) & (1 << 6)) throw new Error('CsI01-B tripped');
        return false;
      },
      10_000,
    );
    s.onBatch(topic, batch(hv('CsI01-B', 2, { vmon: 0, status: 1 << 6 })));
    await expect(tripped).rejects.toThrow('CsI01-B tripped');
    expect(s.counters().waiting).toBe(0);
  });
});
