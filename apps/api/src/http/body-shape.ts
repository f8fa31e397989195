/**
 * Limits on the shape of a parsed JSON body, checked without recursion before anything else
 * (validation, audit, logging) walks it: a body nested 20,000 deep overflowed the stack of
 * JSON.stringify in the audit log. The bodies of this API are at most 3 levels deep.
 */
export const MAX_BODY_DEPTH = 32;
/** values (objects, arrays, scalars) in one body; a 256 KB body of `[0,0,...]` has ~130,000 */
export const MAX_BODY_VALUES = 200_000;

/** The first limit a value breaks, as a message naming it; undefined when it is within both. */
export function bodyShapeProblem(
  body: unknown,
  maxDepth = MAX_BODY_DEPTH,
  maxValues = MAX_BODY_VALUES,
): string | undefined {
  const stack: [unknown, number][] = [[body, 1]];
  let values = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (++values > maxValues) return `body: more than ${maxValues} values (the limit)`;
    if (v === null || typeof v !== 'object') continue;
    if (depth > maxDepth) return `body: nested deeper than ${maxDepth} levels (the limit)`;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) stack.push([c, depth + 1]);
  }
  return undefined;
}
