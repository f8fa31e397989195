/**
 * Which parts of the node executable a process has resident (for bench/memory-at-rest.ts: the
 * "node binary" column, RssFile, is most of every service's RSS). Each resident page of the
 * executable's mappings (/proc/<pid>/pagemap, present bit; needs root) is attributed to the
 * symbol at its address (`nm` of the executable, which Node's official builds are not stripped
 * of) and summed by part: ICU's data (icudt*_dat, Intl and Unicode tables), V8's embedded
 * builtins (Builtins_*), the rest of V8, Node's C++, OpenSSL, other code and read-only data.
 *
 * Usage: node dist/bench/node-binary-pages.js PID [PID...]
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';

const PAGE = 4096;
const MB = 1024 * 1024;

interface Symbol {
  start: number;
  end: number;
  name: string;
}

/** The part of node a symbol belongs to, by its (mangled) name. */
export function partOf(name: string): string {
  if (/^icudt\d+_dat$/.test(name)) return 'ICU data';
  if (name.startsWith('Builtins_')) return 'V8 embedded builtins';
  if (/^_ZN\d*v8/.test(name) || name.startsWith('_ZNK2v8') || name.startsWith('v8_'))
    return 'V8 (compilers, runtime, GC)';
  if (/^_ZN\d*node/.test(name) || name.startsWith('_ZNK4node') || name.startsWith('napi_')) return 'Node C++';
  if (/^_ZN\d*(icu_\d+|icu)/.test(name) || /_\d\d$/.test(name)) return 'ICU code';
  if (
    /^(ossl_|OPENSSL_|EVP_|SSL_|ssl_|CRYPTO_|BN_|EC_|ecp_|RSA_|X509|ASN1|aesni|sha\d|bn_|x25519|curve)/.test(
      name,
    )
  )
    return 'OpenSSL';
  if (/^(uv_|uv__)/.test(name)) return 'libuv';
  return 'other (llhttp, zlib, brotli, nghttp2, ...)';
}

/** The executable's sections (readelf -S): where a page between symbols lies. */
function sectionsOf(binary: string): Symbol[] {
  const out: Symbol[] = [];
  for (const line of execFileSync('readelf', ['-SW', binary]).toString().split('\n')) {
    const m = /\]\s+(\S+)\s+\S+\s+([0-9a-f]{16})\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(line);
    if (!m) continue;
    const start = parseInt(m[2], 16);
    if (start > 0) out.push({ start, end: start + parseInt(m[3], 16), name: m[1] });
  }
  return out.sort((a, b) => a.start - b.start);
}

function symbolsOf(binary: string): Symbol[] {
  const out: Symbol[] = [];
  const text = execFileSync('nm', ['-S', '--defined-only', binary], { maxBuffer: 1 << 30 }).toString();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) \S (\S+)$/.exec(line);
    if (!m) continue;
    const start = parseInt(m[1], 16);
    const size = parseInt(m[2], 16);
    if (size > 0) out.push({ start, end: start + size, name: m[3] });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The symbol covering `addr` (binary search), or undefined between symbols. */
function symbolAt(symbols: Symbol[], addr: number): Symbol | undefined {
  let lo = 0;
  let hi = symbols.length - 1;
  let best: Symbol | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (symbols[mid].start <= addr) {
      best = symbols[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best && addr < best.end ? best : undefined;
}

/** Resident MB of the executable per part, for one process. */
export function binaryPages(
  pid: number,
  binary: string,
  symbols: Symbol[],
  sections: Symbol[],
): Record<string, number> {
  const parts: Record<string, number> = {};
  const pagemap = openSync(`/proc/${pid}/pagemap`, 'r');
  const entry = Buffer.alloc(8);
  try {
    for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \d+\s+(.*)$/.exec(line);
      if (!m || m[4] !== binary) continue;
      const [start, end] = [parseInt(m[1], 16), parseInt(m[2], 16)];
      // the executable is not position-independent here (loaded at its link address); the page's
      // address is the symbol's address
      for (let addr = start; addr < end; addr += PAGE) {
        readSync(pagemap, entry, 0, 8, (addr / PAGE) * 8);
        const present = (entry.readBigUInt64LE() >> 63n) & 1n;
        if (!present) continue;
        const symbol = symbolAt(symbols, addr);
        const part = symbol
          ? partOf(symbol.name)
          : `no symbol: ${symbolAt(sections, addr)?.name ?? 'ELF headers'}`;
        parts[part] = (parts[part] ?? 0) + PAGE / MB;
      }
    }
  } finally {
    closeSync(pagemap);
  }
  return parts;
}

function main(): void {
  const pids = process.argv.slice(2).map(Number);
  if (pids.length === 0) throw new Error('usage: node-binary-pages PID [PID...]');
  const binary = realpathSync(process.execPath);
  const symbols = symbolsOf(binary);
  const sections = sectionsOf(binary);
  const all = pids.map((pid) => binaryPages(pid, binary, symbols, sections));
  const parts = [...new Set(all.flatMap((p) => Object.keys(p)))].sort();
  console.log(`| part of ${binary} resident, MB | ${pids.join(' | ')} |`);
  console.log(`|---|${pids.map(() => '---').join('|')}|`);
  for (const part of parts)
    console.log(`| ${part} | ${all.map((p) => (p[part] ?? 0).toFixed(1)).join(' | ')} |`);
  const total = (p: Record<string, number>) => Object.values(p).reduce((a, b) => a + b, 0);
  console.log(`| total | ${all.map((p) => total(p).toFixed(1)).join(' | ')} |`);
}

if (require.main === module) main();
