/**
 * What JSON.parse cannot tell: how deep a document nests, and whether an object repeats a key
 * (`{"rate_hz":-1,"rate_hz":4253}` parses as 4253, though the sender's value is ambiguous).
 * One pass over the text with an explicit stack (no recursion, so no nesting depth can overflow
 * the call stack); it stops at the first problem. The text must be valid JSON (parse it first).
 */
export type JsonShapeProblem =
  { kind: 'too_deep'; depth: number } | { kind: 'duplicate_key'; path: string[] };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

export function jsonShapeProblem(text: string, maxDepth: number): JsonShapeProblem | undefined {
  // per open container: the keys seen so far (objects) or null (arrays), and its last key
  const keys: (Set<string> | null)[] = [];
  const lastKey: string[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = keys[keys.length - 1];
      if (expectKey && top) {
        const raw = text.slice(i + 1, end);
        // escapes: "rate\u005fhz" is the key rate_hz
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (top.has(key)) return { kind: 'duplicate_key', path: [...lastKey.slice(0, -1), key] };
        top.add(key);
        lastKey[lastKey.length - 1] = key;
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (keys.length >= maxDepth) return { kind: 'too_deep', depth: keys.length + 1 };
      keys.push(c === OPEN_OBJECT ? new Set() : null);
      lastKey.push('');
      expectKey = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      keys.pop();
      lastKey.pop();
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = keys[keys.length - 1] != null;
    }
  }
  return undefined;
}

/** Index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let j = start;
  for (;;) {
    j = text.indexOf('"', j + 1);
    if (j < 0) return text.length; // not valid JSON; the caller parsed it first
    let slashes = 0;
    while (text.charCodeAt(j - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return j;
  }
}
