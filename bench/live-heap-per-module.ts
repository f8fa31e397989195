/**
 * The live V8 heap each module adds once loaded (for docs/PERFORMANCE.md "Memory at rest"): the
 * modules are required one after the other in one process, and after each the heap is measured
 * after six full garbage collections (what nothing can free: code, schemas, module state),
 * then the configuration is loaded as a service loads it (with CICENNS_CONFIG).
 *
 * Usage: node --expose-gc dist/bench/live-heap-per-module.js yaml,zod,@cicenns/contracts,...
 *   (@cicenns/<lib> is this build's dist/libs/<lib>; other names are packages)
 */
import { join } from 'node:path';
import { getHeapCodeStatistics } from 'node:v8';

const ROOT = join(__dirname, '..', '..');
const MB = 1024 * 1024;

function liveHeapMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 6; i++) gc();
  return process.memoryUsage().heapUsed / MB;
}

/** Loaded in order by name at run time (what is measured is the require itself). */
function load(name: string): unknown {
  if (name.startsWith('@cicenns/'))
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(join(ROOT, 'dist', 'libs', name.slice('@cicenns/'.length), 'src', 'index.js'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(name, { paths: [ROOT] }));
}

function main(): void {
  const names = (process.argv[2] ?? '').split(',').filter((n) => n !== '');
  const rows: [string, number][] = [];
  let last = liveHeapMb();
  rows.push(['(node itself)', last]);
  const step = (what: string, f: () => unknown) => {
    f();
    const now = liveHeapMb();
    rows.push([what, now - last]);
    last = now;
  };
  for (const n of names) step(n, () => load(n));
  let config: unknown;
  if (process.env.CICENNS_CONFIG)
    step('loadSystemConfig()', () => {
      config = (load('@cicenns/model') as { loadSystemConfig: () => unknown }).loadSystemConfig();
    });
  console.log('| loaded, in order | live heap added, MB |\n|---|---|');
  for (const [what, mb] of rows) console.log(`| ${what} | ${mb.toFixed(2)} |`);
  const code = getHeapCodeStatistics();
  console.log(
    `| total | ${last.toFixed(2)} (bytecode ${(code.bytecode_and_metadata_size / MB).toFixed(2)}, ` +
      `${Object.keys(require.cache).length} modules${config ? ', configuration held' : ''}) |`,
  );
}

main();
