/**
 * What a V8 heap snapshot (.heapsnapshot, e.g. from bench/memory-probe with
 * MEMORY_PROBE_SNAPSHOT=1) holds, by kind of object: self sizes summed per node type (code,
 * strings, closures, arrays, objects...) and, inside each type, the names that hold the most
 * (for code: BytecodeArray, SharedFunctionInfo, ...; for objects: the constructor). Strings of
 * 8 KB or more are counted apart: they are mostly module sources kept for lazy compilation.
 *
 * Usage: node dist/bench/heap-snapshot-summary.js FILE.heapsnapshot [TOP]   (TOP default 6)
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const MB = 1024 * 1024;
const BIG_STRING = 8 * 1024;

export interface TypeTotal {
  type: string;
  bytes: number;
  count: number;
  /** the names holding the most bytes inside this type */
  top: { name: string; bytes: number; count: number }[];
}

export function summarize(
  snap: Snapshot,
  topN: number,
): { total: number; types: TypeTotal[]; bigStrings: number } {
  const fields = snap.snapshot.meta.node_fields;
  const typeNames = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const perType = new Map<
    string,
    { bytes: number; count: number; names: Map<string, { bytes: number; count: number }> }
  >();
  let total = 0;
  let bigStrings = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = typeNames[snap.nodes[i + iType]];
    const size = snap.nodes[i + iSize];
    // strings are named by their content: group them by size instead
    const raw = snap.strings[snap.nodes[i + iName]];
    const stringLike = type === 'string' || type === 'concatenated string' || type === 'sliced string';
    if (stringLike && size >= BIG_STRING) bigStrings += size;
    const name = stringLike ? (size >= BIG_STRING ? '(≥ 8 KB)' : '(< 8 KB)') : raw.slice(0, 60);
    total += size;
    let t = perType.get(type);
    if (!t) perType.set(type, (t = { bytes: 0, count: 0, names: new Map() }));
    t.bytes += size;
    t.count++;
    const n = t.names.get(name) ?? { bytes: 0, count: 0 };
    n.bytes += size;
    n.count++;
    t.names.set(name, n);
  }
  const types = [...perType.entries()]
    .map(([type, t]) => ({
      type,
      bytes: t.bytes,
      count: t.count,
      top: [...t.names.entries()]
        .map(([name, n]) => ({ name, ...n }))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, topN),
    }))
    .sort((a, b) => b.bytes - a.bytes);
  return { total, types, bigStrings };
}

function main(): void {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: heap-snapshot-summary FILE.heapsnapshot [TOP]');
  const { total, types, bigStrings } = summarize(
    JSON.parse(readFileSync(file, 'utf8')) as Snapshot,
    Number(top ?? 6),
  );
  console.log(
    `${file}: ${(total / MB).toFixed(2)} MB in live objects; strings of 8 KB or more ${(bigStrings / MB).toFixed(2)} MB`,
  );
  for (const t of types) {
    console.log(`  ${t.type}: ${(t.bytes / MB).toFixed(2)} MB, ${t.count} objects`);
    for (const n of t.top)
      console.log(`      ${(n.bytes / MB).toFixed(2)} MB  ${n.count}  ${JSON.stringify(n.name)}`);
  }
}

if (require.main === module) main();
