import fc from 'fast-check';
import { boundedJson } from './bounded-json';

function deep(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
}

describe('boundedJson (audit params)', () => {
  it('serializes what fits as JSON.stringify does', () => {
    const v = { alarmIds: ['a:1', 'b:2'], comment: 'seen', n: 3, ok: true, none: null };
    expect(boundedJson(v)).toBe(JSON.stringify(v));
  });

  it('a body nested 20,000 deep (JSON.stringify: stack overflow) is cut at the depth limit', () => {
    const text = boundedJson(deep(20_000));
    expect(JSON.parse(text)).toEqual({ a: { a: { a: { a: { a: { a: '(deeper than 6 levels)' } } } } } });
  });

  it('cuts long strings, long lists and wide objects, and the whole at maxChars', () => {
    const v = JSON.parse(boundedJson({ s: 'x'.repeat(10_000), list: Array(1000).fill(0) })) as {
      s: string;
      list: unknown[];
    };
    expect(v.s).toMatch(/^x{500}\.\.\.\(10000 chars\)$/);
    expect(v.list).toHaveLength(51);
    expect(v.list[50]).toBe('(950 more)');
    const wide = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'y'.repeat(400)]));
    const text = boundedJson(wide);
    expect(text.length).toBeLessThanOrEqual(8000);
    expect(JSON.parse(text)).toMatch(/\.\.\.\(truncated\)$/);
  });

  it('keeps __proto__ as a key and survives cycles, getters that throw and non-JSON values', () => {
    expect(boundedJson(JSON.parse('{"__proto__":{"x":1}}'))).toBe('{"__proto__":{"x":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => JSON.parse(boundedJson(cyclic))).not.toThrow();
    const hostile = {
      get boom(): never {
        throw new Error('no');
      },
    };
    expect(boundedJson(hostile)).toBe('"(truncated)"');
    expect(boundedJson({ n: NaN, b: 10n, f: () => 1 })).toBe('{"n":null,"b":"10","f":"(function)"}');
  });

  it('property: any JSON value gives valid JSON of at most 8000 characters, never an exception', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (v) => {
        const text = boundedJson(v);
        expect(text.length).toBeLessThanOrEqual(8000);
        expect(() => JSON.parse(text)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});
