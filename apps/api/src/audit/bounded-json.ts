/**
 * JSON text of any value within fixed bounds, for the audit log: never throws, never recurses
 * deeper than `maxDepth`, and stops at `maxChars`. Deeper parts, long strings and long lists are
 * cut with a marker saying so; the audit keeps what was asked without holding what was sent.
 */
export interface Bounds {
  maxDepth: number;
  maxChars: number;
  maxString: number;
  maxItems: number;
}

export const AUDIT_BOUNDS: Bounds = { maxDepth: 6, maxChars: 8000, maxString: 500, maxItems: 50 };

const TRUNCATED = '"(truncated)"';

export function boundedJson(value: unknown, bounds: Bounds = AUDIT_BOUNDS): string {
  try {
    const out: string[] = [];
    let chars = 0;
    const emit = (s: string): boolean => {
      if (chars + s.length > bounds.maxChars) return false;
      out.push(s);
      chars += s.length;
      return true;
    };
    // false: out of room (the text is cut there)
    const walk = (v: unknown, depth: number): boolean => {
      if (v === null || v === undefined) return emit('null');
      switch (typeof v) {
        case 'string':
          return emit(
            JSON.stringify(
              v.length > bounds.maxString ? `${v.slice(0, bounds.maxString)}...(${v.length} chars)` : v,
            ),
          );
        case 'number':
          return emit(Number.isFinite(v) ? String(v) : 'null');
        case 'boolean':
          return emit(String(v));
        case 'bigint':
          return emit(JSON.stringify(String(v)));
        case 'object':
          break;
        default:
          return emit(JSON.stringify(`(${typeof v})`));
      }
      if (depth >= bounds.maxDepth) return emit(JSON.stringify(`(deeper than ${bounds.maxDepth} levels)`));
      const isArray = Array.isArray(v);
      const entries: [string, unknown][] = isArray
        ? (v as unknown[]).slice(0, bounds.maxItems + 1).map((x, i) => [String(i), x])
        : Object.keys(v as object).map((k) => [k, (v as Record<string, unknown>)[k]]);
      const total = isArray ? (v as unknown[]).length : entries.length;
      if (!emit(isArray ? '[' : '{')) return false;
      let n = 0;
      for (const [k, x] of entries) {
        if (n === bounds.maxItems) {
          const more = JSON.stringify(`(${total - n} more)`);
          if (!emit(isArray ? `,${more}` : `,"...":${more}`)) return false;
          break;
        }
        if (n > 0 && !emit(',')) return false;
        if (!isArray && !emit(`${JSON.stringify(k.slice(0, bounds.maxString))}:`)) return false;
        if (!walk(x, depth + 1)) return false;
        n++;
      }
      return emit(isArray ? ']' : '}');
    };
    if (walk(value, 0)) return out.join('');
    // cut: keep it valid JSON, a string holding the start of the text
    let head = out.join('').slice(0, bounds.maxChars - 40);
    let text = JSON.stringify(`${head}...(truncated)`);
    // escaping can lengthen it (every quote gets a backslash)
    while (text.length > bounds.maxChars) {
      head = head.slice(0, Math.floor(head.length / 2));
      text = JSON.stringify(`${head}...(truncated)`);
    }
    return text;
  } catch {
    return TRUNCATED;
  }
}
