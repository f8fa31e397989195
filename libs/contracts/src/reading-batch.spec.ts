import fc from 'fast-check';
import { MEASUREMENTS, READING_TS_RANGE_MS, readingSchema } from './reading';
import { checkReadingBatch, isPlainReading, parseReadingBatch } from './reading-batch';

const good = (i: number) => ({
  m: 'hv',
  id: `P${i}`,
  ts: 1_800_000_000_000 + i,
  quality: 'good',
  fields: { vset: 1200, vmon: 1200.5, imon: 2.5, status: 1 },
  source: 'hv-crystal-01',
});

/** Values near and across every edge readingSchema has, and some that are not JSON's. */
const anyValue = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    true,
    0,
    -0,
    1.5,
    NaN,
    Infinity,
    -Infinity,
    '',
    'x',
    [],
    {},
    READING_TS_RANGE_MS.min,
    READING_TS_RANGE_MS.max,
    READING_TS_RANGE_MS.min - 1,
    READING_TS_RANGE_MS.max + 1,
    Number.MAX_VALUE,
  ),
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.boolean(),
);
const fieldsArb = fc.oneof(
  {
    arbitrary: fc.dictionary(
      fc.string(),
      fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean()),
      { noNullPrototype: true },
    ),
    weight: 4,
  },
  fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString')), anyValue),
  anyValue,
);
const tsArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 2 ** 42 }), weight: 2 },
  fc.double({ min: READING_TS_RANGE_MS.min * 1.01, max: READING_TS_RANGE_MS.max * 1.01 }),
  anyValue,
);
/** A reading of mostly right shape, each part now and then wrong, missing or extra. */
const readingArb = fc.record(
  {
    m: fc.oneof({ arbitrary: fc.constantFrom<unknown>(...MEASUREMENTS), weight: 4 }, anyValue),
    id: fc.oneof({ arbitrary: fc.string(), weight: 4 }, anyValue),
    ts: tsArb,
    quality: fc.oneof({ arbitrary: fc.constantFrom<unknown>('good', 'bad', 'stale'), weight: 4 }, anyValue),
    fields: fieldsArb,
    error: fc.oneof({ arbitrary: fc.string(), weight: 4 }, anyValue),
    source: fc.oneof({ arbitrary: fc.string(), weight: 4 }, anyValue),
    prevTs: tsArb,
    extra: anyValue,
  },
  { requiredKeys: ['m', 'id', 'ts', 'quality', 'fields', 'source'], noNullPrototype: true },
);
const jsonlike = fc.oneof(readingArb, anyValue);

describe('isPlainReading: a faster check that stands for readingSchema', () => {
  it('accepts only what readingSchema accepts, and then zod outputs the same value', () => {
    let plain = 0;
    let zodOnly = 0;
    fc.assert(
      fc.property(jsonlike, (r) => {
        if (!isPlainReading(r)) {
          if (readingSchema.safeParse(r).success) zodOnly++;
          return;
        }
        plain++;
        const z = readingSchema.safeParse(r);
        expect(z.success).toBe(true);
        expect(z.data).toStrictEqual(r);
      }),
      { numRuns: 20_000 },
    );
    // the generator reaches both sides: readings it takes, and good ones it leaves to zod
    expect(plain).toBeGreaterThan(100);
    expect(zodOnly).toBeGreaterThan(20);
  });

  it('the same after a JSON round trip (what a batch from the bus is)', () => {
    fc.assert(
      fc.property(readingArb, (r) => {
        const text = JSON.stringify(r);
        if (text === undefined) return;
        const back = JSON.parse(text) as unknown;
        if (!isPlainReading(back)) return;
        expect(readingSchema.parse(back)).toStrictEqual(back);
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes the readings our services publish (so they need no zod)', () => {
    expect(isPlainReading(good(1))).toBe(true);
    expect(isPlainReading({ ...good(1), quality: 'bad', fields: {}, error: 'timeout' })).toBe(true);
    expect(isPlainReading(JSON.parse(JSON.stringify(good(2))))).toBe(true);
    // what zod would change (strip) or refuse goes to zod
    expect(isPlainReading({ ...good(1), extra: 1 })).toBe(false);
    expect(isPlainReading({ ...good(1), ts: READING_TS_RANGE_MS.max + 1 })).toBe(false);
    expect(
      isPlainReading(
        JSON.parse('{"m":"hv","id":"a","ts":1,"quality":"good","source":"s","fields":{"__proto__":1}}'),
      ),
    ).toBe(false);
  });
});

describe('checkReadingBatch: each reading judged alone, as readingSchema judges it', () => {
  it('gives exactly readingSchema verdicts reading by reading, the good in order', () => {
    fc.assert(
      fc.property(fc.array(jsonlike, { maxLength: 30 }), fc.string(), fc.integer(), (raw, service, seq) => {
        const b = checkReadingBatch({ service, seq, readings: raw });
        if (!b.ok) throw new Error(b.reason);
        const verdicts = raw.map((r) => readingSchema.safeParse(r));
        expect(b.readings).toStrictEqual(verdicts.filter((v) => v.success).map((v) => v.data));
        expect(b.refused.map((x) => x.index)).toEqual(verdicts.flatMap((v, i) => (v.success ? [] : [i])));
      }),
      { numRuns: 3000 },
    );
  });

  it('a 45,000-reading batch with bad entries: the good kept, each bad refused with its index and reason', () => {
    const readings: unknown[] = Array.from({ length: 45_000 }, (_, i) => good(i));
    readings[10] = { ...good(10), ts: 'yesterday' };
    readings[20_000] = { ...good(20_000), m: 'voltage' };
    readings[44_999] = { ...good(44_999), fields: { vmon: 'x', bad: null } };
    readings[30_000] = null;
    const b = parseReadingBatch(JSON.stringify({ service: 'poller', seq: 7, readings }));
    if (!b.ok) throw new Error(b.reason);
    expect(b.readings).toHaveLength(44_996);
    expect(b.readings[0]).toEqual(good(0));
    expect(b.readings.some((r) => r.id === 'P10' || r.id === 'P20000')).toBe(false);
    expect(b.refused.map((r) => r.index)).toEqual([10, 20_000, 30_000, 44_999]);
    expect(b.refused[0].reason).toMatch(/^ts: /);
    expect(b.refused[1].reason).toMatch(/^m: /);
    expect(b.refused[3].reason).toMatch(/^fields\.bad: /);
  });

  it('refuses what is no batch as a whole, with the reason', () => {
    expect(parseReadingBatch('{')).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
    expect(parseReadingBatch('null')).toMatchObject({ ok: false });
    expect(parseReadingBatch('{"service":"p","seq":1.5,"readings":[]}')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^seq: /),
    });
    expect(parseReadingBatch('{"service":"p","seq":1,"readings":{}}')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^readings: /),
    });
  });
});
