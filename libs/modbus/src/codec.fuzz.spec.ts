/**
 * Property-based fuzzing of the register codec: any reply (any uint16 words, wrong lengths,
 * values that are not 16-bit words) for every type and word order. Properties: no exception
 * escapes; a value is either a finite number from a raw value within the type's range, or null
 * (with a reason when the reply itself was unusable); what is encoded decodes back.
 */
import fc from 'fast-check';
import type { RegisterSpec } from '@cicenns/model';
import { decodeValue, encodeValue, registerCount } from './codec';

const TYPES = ['uint16', 'int16', 'uint32', 'int32', 'float32'] as const;
const ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
const RANGE: Record<(typeof TYPES)[number], [number, number]> = {
  uint16: [0, 0xffff],
  int16: [-0x8000, 0x7fff],
  uint32: [0, 0xffffffff],
  int32: [-0x80000000, 0x7fffffff],
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
};

const specArb = fc.record({
  offset: fc.constant(0),
  type: fc.constantFrom(...TYPES),
  table: fc.constantFrom('holding' as const, 'input' as const),
  access: fc.constant('r' as const),
  scale: fc.oneof(
    fc.constantFrom(1, 0.1, 0.01, 0.001, -1),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  ),
  add: fc.oneof(fc.constant(0), fc.double({ noNaN: true, noDefaultInfinity: true })),
  wordOrder: fc.option(fc.constantFrom(...ORDERS), { nil: undefined }),
  invalidRaw: fc.array(fc.integer({ min: -0x8000, max: 0xffff }), { maxLength: 3 }),
}) as fc.Arbitrary<RegisterSpec>;

const word = fc.integer({ min: 0, max: 0xffff });
/** what a broken transport might hand over instead of register words */
const junk = fc.oneof(
  word,
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0x10000, NaN, Infinity, -Infinity, 1.5),
);

const RUNS = 5000;

describe('codec fuzz (fast-check)', () => {
  it('well-formed replies of any words: a finite value within the type range, or an invalid marker', () => {
    fc.assert(
      fc.property(
        specArb,
        fc.constantFrom(...ORDERS),
        fc.array(word, { minLength: 2, maxLength: 2 }),
        (spec, order, words) => {
          const d = decodeValue(spec, words, order);
          if (d.value === null) {
            // only NaN/Inf floats, declared invalid raws, or a scaled overflow have no value
            expect(spec.invalidRaw.includes(d.raw) || !Number.isFinite(d.raw) || d.error).toBeTruthy();
            return;
          }
          expect(Number.isFinite(d.value)).toBe(true);
          const [min, max] = RANGE[spec.type];
          expect(d.raw).toBeGreaterThanOrEqual(min);
          expect(d.raw).toBeLessThanOrEqual(max);
          if (spec.type !== 'float32') expect(Number.isInteger(d.raw)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('short, empty and junk replies: never a throw, never a value made up from missing words', () => {
    fc.assert(
      fc.property(
        specArb,
        fc.constantFrom(...ORDERS),
        fc.array(junk, { maxLength: 4 }),
        (spec, order, words) => {
          const d = decodeValue(spec, words, order);
          const n = registerCount(spec.type);
          const usable =
            words.length >= n && words.slice(0, n).every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff);
          if (!usable) {
            expect(d.value).toBeNull();
            expect(d.error).toMatch(/short reply|not a 16-bit word/);
          } else if (d.value !== null) {
            expect(Number.isFinite(d.value)).toBe(true);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('encode then decode gives the value back (integers to their scale, float32 to 7 digits)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TYPES),
        fc.constantFrom(...ORDERS),
        fc.constantFrom(1, 0.1, 0.01),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        (type, order, scale, value) => {
          const spec: RegisterSpec = {
            offset: 0,
            type,
            table: 'holding',
            access: 'rw',
            scale,
            add: 0,
            invalidRaw: [],
          };
          let words: number[];
          try {
            words = encodeValue(spec, value, order);
          } catch (err) {
            // only a value the register cannot hold is refused, and it says so
            expect((err as Error).message).toMatch(/does not fit/);
            return;
          }
          expect(words).toHaveLength(registerCount(type));
          for (const w of words) expect(w >= 0 && w <= 0xffff && Number.isInteger(w)).toBe(true);
          const back = decodeValue(spec, words, order).value!;
          if (type === 'float32')
            expect(Math.abs(back - value)).toBeLessThanOrEqual(Math.abs(value) * 1e-6 + 1e-30);
          else expect(Math.abs(back - value)).toBeLessThanOrEqual(scale / 2 + 1e-9);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
