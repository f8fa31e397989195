/**
 * Property-based fuzzing of the DAQ validator (issue 9): generated topics and payloads, valid
 * ones mutated (wrong types, huge and tiny numbers, bad dates, extra, duplicate and prototype
 * keys, deep nesting, unicode, broken text) and arbitrary bytes. Properties: no exception
 * escapes; every message is accepted, rejected or ignored, and counted exactly once; what is
 * accepted is within the contract; a good message among bad ones yields its reading.
 */
import fc from 'fast-check';
import { loadSystemConfig } from '@cicenns/model';
import { DaqValidator, type ValidationResult } from './daq-validator';
import { IntakeStats } from './intake-stats';

const cfg = loadSystemConfig(undefined, {});
const limits = cfg.app.intake;
const now = Date.parse('2026-12-01T12:00:00Z');
const v = new DaqValidator(cfg.detector, limits);
const pmtIds = cfg.detector.pmts.map((p) => p.id);
const crystalIds = cfg.detector.crystals.map((c) => c.id);

const REASONS = new Set([
  'too_large',
  'not_json',
  'too_deep',
  'schema',
  'out_of_range',
  'empty',
  'unknown_pmt',
  'unknown_crystal',
  'bad_timestamp',
  'future_timestamp',
  'too_old',
  'unknown_topic',
]);

// ---------- generators ----------

const pmt = fc.constantFrom(...pmtIds);
const crystal = fc.constantFrom(...crystalIds);
const goodTs = fc.oneof(
  fc.integer({ min: now - 3600_000, max: now }),
  fc.integer({ min: now - 3600_000, max: now }).map((ms) => new Date(ms).toISOString()),
);

/** A message of the contract: topic and payload object, valid as generated. */
const goodMessage: fc.Arbitrary<{ topic: string; body: Record<string, unknown> }> = fc.oneof(
  fc.record({ id: pmt, ts: goodTs, rate: fc.double({ min: 0, max: 1e6, noNaN: true }) }).map((x) => ({
    topic: `cicenns/daq/pmt/${x.id}/dcr`,
    body: { ts: x.ts, rate_hz: x.rate, window_s: 10 },
  })),
  fc.record({ id: pmt, ts: goodTs, g: fc.double({ min: 1e6, max: 1e7, noNaN: true }) }).map((x) => ({
    topic: `cicenns/daq/pmt/${x.id}/gain`,
    body: { ts: x.ts, gain: x.g, gain_err: x.g * 0.03, method: 'spe' },
  })),
  fc.record({ id: crystal, ts: goodTs, rate: fc.double({ min: 0, max: 10, noNaN: true }) }).map((x) => ({
    topic: `cicenns/daq/crystal/${x.id}/coincidence`,
    body: { ts: x.ts, rate_hz: x.rate, window_ns: 100 },
  })),
  fc
    .record({
      ts: goodTs,
      rates: fc.dictionary(pmt, fc.double({ min: 0, max: 1e5, noNaN: true }), { minKeys: 1 }),
    })
    .map((x) => ({ topic: 'cicenns/daq/dcr', body: { ts: x.ts, window_s: 10, rates_hz: x.rates } })),
  fc.record({ ts: goodTs, kw: fc.double({ min: 0, max: 500, noNaN: true }) }).map((x) => ({
    topic: 'cicenns/beam/status',
    body: { ts: x.ts, on: true, power_kw: x.kw, rep_rate_hz: 25 },
  })),
);

const strangeKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'ts',
    'rate_hz',
    'rates_hz',
    'gain',
    'data',
    'pattern',
    'windows_s',
    '',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
const extremeNumber = fc.constantFrom(
  1e308,
  -1e308,
  5e-324,
  -0,
  8.64e15,
  8.64e15 + 1,
  -8.64e15 - 1,
  1e20,
  -1e16,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  0.5,
  -1,
);
const badDate = fc.oneof(
  fc.constantFrom(
    '2026-11-31T19:00:00Z',
    '2026-12-01T19:42:45',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '+275761-01-01T00:00:00Z',
    '2026-12-01T25:61:61Z',
    '9999-12-31T23:59:59.999999999+23:59',
    '0000-01-01T00:00:00Z',
    'T',
    '',
  ),
  fc
    .date({ noInvalidDate: false })
    .map((d) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString())),
  fc.string({ unit: 'binary', maxLength: 30 }),
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  extremeNumber,
  fc.double(),
  fc.integer(),
  badDate,
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(strangeKey, fc.integer(), { maxKeys: 3 }),
);

/** A good message, spoilt in one or a few ways (on the object, then on its text). */
const mutatedMessage: fc.Arbitrary<{ topic: string; payload: string }> = fc
  .record({
    msg: goodMessage,
    edits: fc.array(
      fc.oneof(
        fc.record({ op: fc.constant('set' as const), key: strangeKey, value: anyValue }),
        fc.record({ op: fc.constant('setKnown' as const), value: anyValue }),
        fc.record({ op: fc.constant('delete' as const) }),
        fc.record({ op: fc.constant('sweepEntry' as const), key: strangeKey, value: anyValue }),
      ),
      { maxLength: 3 },
    ),
    text: fc.oneof(
      fc.constant('none' as const),
      fc.constant('duplicate' as const),
      fc.record({ deep: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ cut: fc.nat() }),
      fc.record({ insert: fc.string({ unit: 'binary', maxLength: 3 }), at: fc.nat() }),
    ),
  })
  .map(({ msg, edits, text }) => {
    const body: Record<string, unknown> = { ...msg.body };
    for (const e of edits) {
      const keys = Object.keys(body);
      if (e.op === 'set')
        Object.defineProperty(body, e.key, {
          value: e.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else if (e.op === 'setKnown')
        body[keys[Math.abs(hash(JSON.stringify(e.value) ?? '')) % keys.length]] = e.value;
      else if (e.op === 'delete') delete body[keys[keys.length - 1]];
      else if (typeof body.rates_hz === 'object' && body.rates_hz !== null) {
        const rates = { ...(body.rates_hz as object) };
        Object.defineProperty(rates, e.key, {
          value: e.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        body.rates_hz = rates;
      }
    }
    let payload = JSON.stringify(body);
    if (text === 'duplicate') payload = payload.replace(/^\{("[^"]*":[^,}]*),/, '{$1,$1,');
    else if (typeof text === 'object' && 'deep' in text)
      payload = payload.replace(/\}$/, `,"x":${'['.repeat(text.deep)}${']'.repeat(text.deep)}}`);
    else if (typeof text === 'object' && 'cut' in text)
      payload = payload.slice(0, text.cut % (payload.length + 1));
    else if (typeof text === 'object' && 'insert' in text) {
      const at = text.at % (payload.length + 1);
      payload = payload.slice(0, at) + text.insert + payload.slice(at);
    }
    return { topic: msg.topic, payload };
  });

const nearTopic = fc.oneof(
  fc.constantFrom(
    'cicenns/daq/pmt/CsI01-A/DCR',
    'cicenns/daq/pmt/CsI01-A/dcr/extra',
    'cicenns/daq/beam/status',
    'cicenns/daq/cmd/measure',
    'cicenns/daq/cmd',
    'cicenns/daq/pmt/__proto__/dcr',
    'cicenns/daq/crystal/constructor/coincidence',
    'cicenns/daq/pmt//dcr',
    'cicenns/beam/status/',
  ),
  fc
    .tuple(
      fc.constantFrom('cicenns/daq/pmt/', 'cicenns/daq/crystal/', 'cicenns/daq/', 'cicenns/beam/'),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.constantFrom('/dcr', '/gain', '/coincidence', ''),
    )
    .map(([a, b, c]) => a + b + c),
  fc.string({ unit: 'binary', maxLength: 50 }),
);

/** Any message: mutated contract messages, valid ones, and garbage on any topic. */
const anyMessage: fc.Arbitrary<{ topic: string; payload: string | Buffer }> = fc.oneof(
  mutatedMessage,
  goodMessage.map((m) => ({ topic: m.topic, payload: JSON.stringify(m.body) })),
  fc.record({ topic: nearTopic, payload: fc.oneof(fc.string({ unit: 'binary' }), fc.json()) }),
  fc.record({
    topic: fc.oneof(
      nearTopic,
      goodMessage.map((m) => m.topic),
    ),
    payload: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  }),
  goodMessage.map((m) => ({ topic: m.topic, payload: JSON.stringify({ ...m.body, extra: m.body }) })),
);

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

/** The contract's promises about one outcome. */
function checkOutcome(r: ValidationResult): void {
  expect(['accepted', 'rejected', 'ignored']).toContain(r.outcome);
  if (r.outcome === 'ignored') return;
  const problems =
    r.outcome === 'rejected' ? [r.rejection, ...r.entryRejections] : [...r.entryRejections, ...r.warnings];
  for (const p of problems) {
    expect(typeof p.detail).toBe('string');
    expect(p.detail.length).toBeLessThanOrEqual(200);
  }
  for (const p of [...(r.outcome === 'rejected' ? [r.rejection] : []), ...r.entryRejections])
    expect(REASONS.has(p.reason)).toBe(true);
  if (r.outcome !== 'accepted') return;
  expect(r.readings.length).toBeGreaterThan(0);
  const b = limits.bounds;
  for (const reading of r.readings) {
    expect(Number.isInteger(reading.ts)).toBe(true);
    expect(reading.ts).toBeLessThanOrEqual(now + limits.maxFutureSkewMs);
    expect(reading.ts).toBeGreaterThanOrEqual(now - limits.maxAgeMs);
    const f = reading.fields as Record<string, number | boolean | string>;
    for (const x of Object.values(f)) if (typeof x === 'number') expect(Number.isFinite(x)).toBe(true);
    if (reading.m === 'dcr') expect(f.rate_hz).toBeLessThanOrEqual(b.dcr.maxRateHz);
    if (reading.m === 'gain') {
      expect(f.gain).toBeGreaterThanOrEqual(b.gain.min);
      expect(f.gain).toBeLessThanOrEqual(b.gain.max);
    }
    if (reading.m === 'beam') expect(f.power_kw).toBeLessThanOrEqual(b.beam.maxPowerKw);
  }
}

describe('DAQ validator, property-based', () => {
  it('never throws, and every outcome keeps the contract (mutated messages)', () => {
    fc.assert(
      fc.property(mutatedMessage, ({ topic, payload }) => checkOutcome(v.validate(topic, payload, now))),
      { numRuns: 3000 },
    );
  });

  it('never throws on arbitrary topics and payloads', () => {
    fc.assert(
      fc.property(anyMessage, ({ topic, payload }) => checkOutcome(v.validate(topic, payload, now))),
      { numRuns: 3000 },
    );
  });

  it('accepts every valid message, with no warning', () => {
    fc.assert(
      fc.property(goodMessage, ({ topic, body }) => {
        const r = v.validate(topic, JSON.stringify(body), now);
        expect(r).toMatchObject({ outcome: 'accepted', entryRejections: [], warnings: [] });
      }),
      { numRuns: 1000 },
    );
  });

  it('counts every message exactly once, and a good message among bad ones yields its reading', () => {
    fc.assert(
      fc.property(fc.array(anyMessage, { maxLength: 20 }), goodMessage, fc.nat(), (bad, good, at) => {
        const stream = [...bad];
        const goodPayload = JSON.stringify(good.body);
        stream.splice(at % (stream.length + 1), 0, { topic: good.topic, payload: goodPayload });
        const stats = new IntakeStats();
        const stored: unknown[] = [];
        let entries = 0;
        for (const m of stream) {
          stats.received++;
          const r = v.validate(m.topic, m.payload, now);
          stats.record(r);
          if (r.outcome !== 'ignored') entries += r.entryRejections.length;
          if (r.outcome === 'accepted') stored.push(...r.readings);
        }
        const c = stats.counters();
        expect(c.accepted + c.rejected + c.ignored).toBe(stream.length);
        expect(c.rejectedEntries).toBe(entries);
        expect(c.readingsAccepted).toBe(stored.length);
        const expected = v.validate(good.topic, goodPayload, now);
        if (expected.outcome !== 'accepted') throw new Error('a good message was not accepted');
        for (const reading of expected.readings) expect(stored).toContainEqual(reading);
      }),
      { numRuns: 300 },
    );
  });
});

describe('a large sweep', () => {
  const big = new DaqValidator(cfg.detector, { ...limits, maxPayloadBytes: 4 * 1024 * 1024 });
  /** n entries: the detector's PMTs first, then unknown ids and bad values; no key repeats */
  const sweep = (n: number) => {
    const rates: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      if (i < pmtIds.length) rates[pmtIds[i]] = i % 10 === 0 ? 'x' : 1000 + i;
      else rates[`X${i}`] = i % 3 === 0 ? -1 : 5;
    }
    return JSON.stringify({ ts: now, window_s: 10, rates_hz: rates });
  };

  it('keeps the good entries of 45,000 and counts each bad one with its reason', () => {
    const r = big.validate('cicenns/daq/dcr', sweep(45_000), now);
    if (r.outcome !== 'accepted') throw new Error(JSON.stringify(r).slice(0, 300));
    const badValues = pmtIds.filter((_, i) => i % 10 === 0);
    expect(r.readings.map((x) => x.id)).toEqual(pmtIds.filter((_, i) => i % 10 !== 0));
    expect(r.entryRejections).toHaveLength(45_000 - r.readings.length);
    expect(r.entryRejections.filter((x) => x.reason === 'schema')).toHaveLength(badValues.length);
    expect(r.entryRejections.filter((x) => x.reason === 'unknown_pmt')).toHaveLength(45_000 - pmtIds.length);
    const stats = new IntakeStats();
    stats.record(r);
    expect(stats.counters()).toMatchObject({
      accepted: 1,
      rejected: 0,
      rejectedEntries: 45_000 - r.readings.length,
    });
  });

  it('costs time linear in its size (not quadratic)', () => {
    // Wall-time ratios between sizes are noisy (GC, a loaded machine); an absolute budget is
    // not: linear work on 45,000 entries takes ~100 ms here, while anything quadratic in the
    // entries (a scan per entry) is ~1e9 steps, seconds. The budget leaves 10x for a busy host.
    const payload = sweep(45_000);
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      big.validate('cicenns/daq/dcr', payload, now);
      best = Math.min(best, performance.now() - t0);
    }
    expect(best).toBeLessThan(1000);
  });
});
