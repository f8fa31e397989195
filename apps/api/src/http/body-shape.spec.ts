import fc from 'fast-check';
import { bodyShapeProblem } from './body-shape';

describe('bodyShapeProblem', () => {
  it('passes the bodies of this API', () => {
    expect(bodyShapeProblem({ target: { pmts: ['CsI01-A'] }, set: { vset: 1400 } })).toBeUndefined();
    expect(bodyShapeProblem({})).toBeUndefined();
  });

  it('names the depth limit for a body nested 20,000 deep, without recursion', () => {
    const v = JSON.parse('['.repeat(20_000) + ']'.repeat(20_000)) as unknown;
    expect(bodyShapeProblem(v)).toBe('body: nested deeper than 32 levels (the limit)');
    expect(bodyShapeProblem(JSON.parse('['.repeat(32) + ']'.repeat(32)))).toBeUndefined();
    expect(bodyShapeProblem(JSON.parse('['.repeat(33) + ']'.repeat(33)))).toMatch(/deeper than 32/);
  });

  it('names the count limit', () => {
    expect(bodyShapeProblem(Array(300_000).fill(0))).toBe('body: more than 200000 values (the limit)');
  });

  it('property: never throws; refuses exactly what is deeper than the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.jsonValue({ maxDepth: 3 }), (depth, leaf) => {
        let v: unknown = [leaf];
        for (let i = 1; i < depth; i++) v = { k: v };
        const p = bodyShapeProblem(v, 32);
        // the wrapper levels plus whatever nesting the leaf has
        if (depth > 32) expect(p).toMatch(/deeper than 32/);
        if (depth + 4 <= 32) expect(p).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });
});
