/**
 * Memory at rest (issue 13): each service of the demo detector as its own process from dist/,
 * on loopback with a real Mosquitto and InfluxDB (test/support/servers), all running together as
 * deployed (the simulator serves the poller, 1 Hz polls, DAQ messages at the simulator's default
 * periods). Once every one is ready it is left alone for SETTLE seconds, then its RSS is sampled
 * from /proc/<pid>/status once a second for SAMPLE seconds (median and the peak VmHWM), and the
 * preloaded bench/memory-probe asks the process for its own view (V8 heap used/total, external,
 * the modules it loaded by package). In the same run: a bare `node -e` and, each in its own
 * process, the cost of requiring just one heavy dependency, as ratios to the bare baseline.
 *
 * Usage: npm run bench:memory [-- SETTLE_S [SAMPLE_S]]   (defaults 45 and 10)
 *   The services run as deployed: node's command-line flags of deploy/systemd/cicenns@.service
 *   (CICENNS_NODE_FLAGS), its MALLOC_* settings and the NODE_OPTIONS of deploy/env/cicenns.env.
 *   SERVICE_NODE_FLAGS='...' and SERVICE_NODE_OPTIONS='...' replace them (empty: Node's
 *   defaults); SERVICE_MALLOC_DEFAULTS=1 leaves out the MALLOC_* settings. CPU seconds over the
 *   settle and sample window tell what a flag costs.
 *   MEMORY_VARIANTS='name=TOKENS;name2=TOKENS' runs the services once more per variant, in the
 *   same run, after "as deployed" (MEMORY_ROUNDS=n: n rounds of all, alternating). TOKENS: node
 *   flags added to the deployed ones, KEY=VALUE environment variables (e.g. MALLOC_ARENA_MAX=2),
 *   and `@gc` (each service gets --expose-gc and, once all are ready, 6 full collections through
 *   the probe: what a GC at the end of start-up would give back, bytecode flushing included).
 *   MEMORY_PROBE_SNAPSHOT=1 also writes a heap snapshot of each (path printed)
 *   MEMORY_JSON=file writes every figure as JSON; MEMORY_DEPENDENCIES_ONLY=1 skips the services
 *   MEMORY_ONE_PROCESS=1 also runs every service in one process (apps/demo's main on the same
 *   Mosquitto and InfluxDB, as deployed otherwise) and compares it with the sum of the separate
 *   processes of the first run
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAll, stopAll, waitFor } from '../test/support/servers';
import {
  deployedMallocEnvironment,
  deployedNodeFlags,
  deployedNodeOptions,
  READY_LINE,
  ROOT,
  ServiceProcess,
  freePorts,
  sleep,
  type ServiceName,
} from '../test/support/processes';
import { writeTestConfig } from '../test/support/test-config';
import type { ProbeReport } from './memory-probe';
import { smapsBreakdown, type SmapsBreakdown } from './smaps-breakdown';
import { median } from './percentiles';

const SETTLE_S = Number(process.argv[2] ?? 45);
const SAMPLE_S = Number(process.argv[3] ?? 10);
const TARGET_MB = 60;
const MB = 1024 * 1024;
const PROBE = join(ROOT, 'dist', 'bench', 'memory-probe.js');
const probeDir = mkdtempSync(join(tmpdir(), 'cicenns-mem-'));

const serviceNodeOptions = deployedNodeOptions;
const READY = READY_LINE;

/** One dependency each, required alone (plus what it needs to be used at all). */
const DEPENDENCIES: Record<string, string> = {
  'node -e (bare)': '',
  '@nestjs/core + microservices':
    "require('reflect-metadata');require('@nestjs/core');require('@nestjs/microservices')",
  '@nestjs/platform-express':
    "require('reflect-metadata');require('@nestjs/core');require('@nestjs/platform-express')",
  '@nestjs/swagger': "require('reflect-metadata');require('@nestjs/core');require('@nestjs/swagger')",
  mqtt: "require('mqtt')",
  'better-sqlite3 (one :memory: db)': "new (require('better-sqlite3'))(':memory:')",
  zod: "require('zod')",
  'modbus-serial': "require('modbus-serial')",
  influx: "require('influx')",
  yaml: "require('yaml')",
  'prom-client': "require('prom-client')",
  '@cicenns/contracts': `require(${JSON.stringify(join(ROOT, 'dist/libs/contracts/src/index.js'))})`,
  '@cicenns/model': `require(${JSON.stringify(join(ROOT, 'dist/libs/model/src/index.js'))})`,
  '@cicenns/bus': `require(${JSON.stringify(join(ROOT, 'dist/libs/bus/src/index.js'))})`,
};

interface Figures {
  rssMb: number;
  /** CPU seconds (user + system) from the start of the settle time to the end of the sampling */
  cpuS?: number;
  /** the process's own pages (heap, stacks, malloc): RSS less the mapped files */
  anonMb: number;
  /** mapped files, mostly the node binary's code: the same pages in every node process */
  fileMb: number;
  /** proportional set size: shared pages divided among the processes sharing them */
  pssMb: number;
  peakMb: number;
  heapUsedMb?: number;
  heapTotalMb?: number;
  externalMb?: number;
  modules?: number;
  topPackages?: string;
  snapshot?: string;
  /** resident pages by kind of mapping, read with the probe's report */
  smaps?: SmapsBreakdown;
  /** V8 spaces: resident bytes (MB) per space, and code held in the heap (MB) */
  v8PhysicalMb?: Record<string, number>;
  bytecodeMb?: number;
  machineCodeMb?: number;
}

/** One set of node flags and environment the services run with (MEMORY_VARIANTS). */
interface Variant {
  name: string;
  flags: string[];
  env: Record<string, string>;
  /** full collections through the probe once all services are ready */
  gcAtReady: boolean;
}

/** GCs for --bytecode-old-age=5: bytecode not run since the first is flushed by the sixth. */
const GC_AT_READY = 6;

function parseVariants(spec: string | undefined, deployed: string[]): Variant[] {
  const out: Variant[] = [{ name: 'as deployed', flags: deployed, env: {}, gcAtReady: false }];
  for (const part of (spec ?? '').split(';').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    if (eq < 1) throw new Error(`MEMORY_VARIANTS: "${part}" is not name=tokens`);
    const v: Variant = { name: part.slice(0, eq).trim(), flags: [...deployed], env: {}, gcAtReady: false };
    for (const token of part
      .slice(eq + 1)
      .split(/\s+/)
      .filter((t) => t !== '')) {
      const env = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(token);
      if (token === '@gc') {
        v.gcAtReady = true;
        v.flags.push('--expose-gc');
      } else if (env) v.env[env[1]] = env[2];
      else v.flags.push(token);
    }
    out.push(v);
  }
  return out;
}

function status(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** PSS from smaps_rollup: what the process costs the box, shared pages counted once in all. */
function pss(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** utime + stime of a process, in seconds (/proc/<pid>/stat, clock ticks of 10 ms) */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** RSS, anonymous and file-backed, `n` samples `everyMs` apart: the median of each. */
async function sampleRss(
  pids: Record<string, number>,
  n: number,
  everyMs: number,
): Promise<Record<string, Pick<Figures, 'rssMb' | 'anonMb' | 'fileMb' | 'pssMb'>>> {
  const seen: Record<string, { rss: number[]; anon: number[]; file: number[]; pss: number[] }> = {};
  for (const k of Object.keys(pids)) seen[k] = { rss: [], anon: [], file: [], pss: [] };
  for (let i = 0; i < n; i++) {
    for (const [k, pid] of Object.entries(pids)) {
      seen[k].rss.push(status(pid, 'VmRSS'));
      seen[k].anon.push(status(pid, 'RssAnon'));
      seen[k].file.push(status(pid, 'RssFile'));
      seen[k].pss.push(pss(pid));
    }
    await sleep(everyMs);
  }
  return Object.fromEntries(
    Object.entries(seen).map(([k, s]) => [
      k,
      { rssMb: median(s.rss), anonMb: median(s.anon), fileMb: median(s.file), pssMb: median(s.pss) },
    ]),
  );
}

/** The process's own report through the probe (SIGUSR2), or undefined if it does not answer. */
async function probe(pid: number): Promise<ProbeReport | undefined> {
  const file = join(probeDir, `${pid}.json`);
  process.kill(pid, 'SIGUSR2');
  const snapshotting = !!process.env.MEMORY_PROBE_SNAPSHOT;
  try {
    await waitFor(`memory report of ${pid}`, async () => existsSync(file), snapshotting ? 60_000 : 5000);
    await sleep(100); // written in one call, but let it finish
    return JSON.parse(readFileSync(file, 'utf8')) as ProbeReport;
  } catch {
    return undefined;
  }
}

/** Full garbage collections in each process, through the probe (needs --expose-gc). */
async function collectGarbage(pids: Record<string, number>, times: number): Promise<void> {
  for (const pid of Object.values(pids)) {
    writeFileSync(join(probeDir, `${pid}.cmd`), `gc ${times}`);
    process.kill(pid, 'SIGUSR2');
    await waitFor(`gc in ${pid}`, async () => existsSync(join(probeDir, `${pid}.done`)), 30_000);
    rmSync(join(probeDir, `${pid}.done`));
  }
}

/** RSS once a second for SAMPLE_S seconds, then the probe's report. */
async function measure(pids: Record<string, number>): Promise<Record<string, Figures>> {
  const samples = await sampleRss(pids, SAMPLE_S, 1000);
  const out: Record<string, Figures> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const smaps = smapsBreakdown(pid);
    const r = await probe(pid);
    const top = r
      ? Object.entries(r.modulesByPackage)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 4)
          .map(([p, n]) => `${p} ${n}`)
          .join(', ')
      : undefined;
    out[name] = {
      ...samples[name],
      peakMb: status(pid, 'VmHWM'),
      heapUsedMb: r && r.memory.heapUsed / MB,
      heapTotalMb: r && r.memory.heapTotal / MB,
      externalMb: r && r.memory.external / MB,
      modules: r?.modules,
      topPackages: top,
      snapshot: r?.snapshot,
      smaps,
      v8PhysicalMb: r && Object.fromEntries(r.heapSpaces.map((sp) => [sp.space, sp.physicalBytes / MB])),
      bytecodeMb: r && r.code.bytecodeBytes / MB,
      machineCodeMb: r && r.code.machineCodeBytes / MB,
    };
  }
  return out;
}

/** The bare baseline and each dependency, each in its own idle process, measured together. */
async function dependencies(): Promise<Record<string, Figures>> {
  const children: Record<string, ChildProcess> = {};
  for (const [name, code] of Object.entries(DEPENDENCIES)) {
    const script = `${code};process.stdout.write('loaded\\n');setInterval(()=>{},1e6)`;
    children[name] = spawn(process.execPath, ['-r', PROBE, '-e', script], {
      cwd: ROOT,
      env: { ...process.env, MEMORY_PROBE_DIR: probeDir, MEMORY_PROBE_SNAPSHOT: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  }
  // on a loaded machine requiring ~1000 modules takes seconds: sample once each has loaded
  await Promise.all(Object.values(children).map((c) => new Promise((r) => c.stdout!.once('data', r))));
  await sleep(3000);
  const pids = Object.fromEntries(Object.entries(children).map(([k, c]) => [k, c.pid!]));
  const rss = await sampleRss(pids, 3, 500);
  const out: Record<string, Figures> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const smaps = smapsBreakdown(pid);
    const r = await probe(pid);
    out[name] = {
      ...rss[name],
      peakMb: status(pid, 'VmHWM'),
      heapUsedMb: r && r.memory.heapUsed / MB,
      heapTotalMb: r && r.memory.heapTotal / MB,
      externalMb: r && r.memory.external / MB,
      modules: r?.modules,
      smaps,
      v8PhysicalMb: r && Object.fromEntries(r.heapSpaces.map((sp) => [sp.space, sp.physicalBytes / MB])),
      bytecodeMb: r && r.code.bytecodeBytes / MB,
      machineCodeMb: r && r.code.machineCodeBytes / MB,
    };
    children[name].kill('SIGKILL');
  }
  return out;
}

async function services(
  mqttUrl: string,
  influxUrl: string,
  variant: Variant,
  /** 'one': every service in one process (the demo's main, on these servers) */
  layout: 'separate' | 'one' = 'separate',
): Promise<Record<string, Figures>> {
  const nodeFlags = variant.flags;
  const [hvPort, tempPort, simHttp, apiPort] = await freePorts(4);
  const { file } = writeTestConfig({
    hvPort,
    tempPort,
    apiPort,
    mqttUrl,
    influxUrl,
    database: 'cicenns_mem',
    clientIdPrefix: `mem${process.pid}`,
    requireHistorian: true, // as shipped
  });
  const env = {
    CICENNS_CONFIG: file,
    SIM_HTTP_PORT: String(simHttp),
    MEMORY_PROBE_DIR: probeDir,
    NODE_OPTIONS: serviceNodeOptions(),
    ...deployedMallocEnvironment(),
    ...variant.env,
    // the demo's main takes the configuration's broker when MQTT_URL names one (no embedded broker)
    ...(layout === 'one' ? { MQTT_URL: mqttUrl } : {}),
  };
  const names: ServiceName[] =
    layout === 'one'
      ? ['demo']
      : (Object.keys(READY).filter(
          (n) => n !== 'demo' && existsSync(join(ROOT, 'dist', 'apps', n, 'src', 'main.js')),
        ) as ServiceName[]);
  const procs = names.map((n) => new ServiceProcess(n, env, [...nodeFlags, '-r', PROBE]).start());
  try {
    for (const p of procs) await p.waitForOutput(READY[p.name]!, 60_000);
    process.stderr.write(
      `${new Date().toISOString()} ${variant.name}: all ${procs.length} services ready (node ${nodeFlags.join(' ')}` +
        ` ${Object.entries(variant.env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}); at rest for ${SETTLE_S} s, ` +
        `load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
    );
    const pids = Object.fromEntries(procs.map((p) => [p.name, p.child!.pid!]));
    if (variant.gcAtReady) await collectGarbage(pids, GC_AT_READY);
    const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    await sleep(SETTLE_S * 1000);
    const cpu1 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const figures = await measure(pids);
    for (const k of Object.keys(figures)) figures[k].cpuS = cpu1[k] - cpu0[k];
    return figures;
  } finally {
    for (const p of [...procs].reverse()) await p.stop();
  }
}

/** The separate processes of one run, summed, against the one process that runs them all. */
function oneProcessComparison(separate: Record<string, Figures>, one: Figures): string {
  const sum = (k: 'rssMb' | 'pssMb' | 'anonMb' | 'peakMb') =>
    Object.values(separate).reduce((n, f) => n + f[k], 0);
  const cpu = Object.values(separate).reduce((n, f) => n + (f.cpuS ?? 0), 0);
  const row = (name: string, rss: number, pss: number, anon: number, peak: number, cpuS: number) =>
    `| ${name} | ${f1(rss)} | ${f1(pss)} | ${f1(anon)} | ${f1(peak)} | ${cpuS.toFixed(2)} |`;
  return [
    `The same services (${Object.keys(separate).join(', ')}): each its own process, summed, against one process:`,
    '| | RSS MB | PSS MB | own (anon) MB | peak MB | CPU s |',
    '| --- | --- | --- | --- | --- | --- |',
    row(
      `${Object.keys(separate).length} processes (sum)`,
      sum('rssMb'),
      sum('pssMb'),
      sum('anonMb'),
      sum('peakMb'),
      cpu,
    ),
    row('one process', one.rssMb, one.pssMb, one.anonMb, one.peakMb, one.cpuS ?? 0),
  ].join('\n');
}

const f1 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(1));

function table(title: string, rows: Record<string, Figures>, baseline: number, withTarget: boolean): string {
  const head = [
    '',
    'RSS MB',
    'own (anon) MB',
    'files MB',
    'PSS MB',
    'peak MB',
    'CPU s',
    'x bare',
    'heap used/total MB',
    'external MB',
    'modules',
  ];
  if (withTarget) head.push(`≤ ${TARGET_MB} MB`, 'most modules from');
  const lines = [`${title}`, `| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const [name, f] of Object.entries(rows)) {
    const cells = [
      name,
      f1(f.rssMb),
      f1(f.anonMb),
      f1(f.fileMb),
      f1(f.pssMb),
      f1(f.peakMb),
      f.cpuS === undefined ? '–' : f.cpuS.toFixed(2),
      (f.rssMb / baseline).toFixed(2),
      `${f1(f.heapUsedMb)} / ${f1(f.heapTotalMb)}`,
      f1(f.externalMb),
      String(f.modules ?? '–'),
    ];
    if (withTarget) cells.push(f.rssMb <= TARGET_MB ? 'yes' : '**no**', f.topPackages ?? '–');
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * Where each service's resident pages are: node's code, other files, thread stacks, V8's spaces
 * (resident pages, from the probe), and the rest of the anonymous memory, which is malloc's
 * (Node's and V8's own C++ objects, buffers) less what the probe cannot see.
 */
function breakdownTable(title: string, rows: Record<string, Figures>): string {
  const head = [
    '',
    'RSS',
    'node binary',
    'other files',
    'stacks (threads)',
    'V8 heap resident',
    'of it old / code / new / large / other',
    'bytecode / machine code',
    'malloc and other anon',
  ];
  const lines = [`${title}`, `| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
  for (const [name, f] of Object.entries(rows)) {
    const s = f.smaps;
    const v8 = f.v8PhysicalMb;
    if (!s || !v8) continue;
    const total = Object.values(v8).reduce((a, b) => a + b, 0);
    const space = (k: string) => v8[k] ?? 0;
    const large =
      space('large_object_space') + space('code_large_object_space') + space('new_large_object_space');
    const main = space('old_space') + space('code_space') + space('new_space') + large;
    const anon = s.brkHeapMb + s.otherAnonMb;
    lines.push(
      `| ${[
        name,
        f1(f.rssMb),
        f1(s.nodeBinaryMb),
        f1(s.otherFilesMb),
        `${f1(s.stacksMb)} (${s.threadStacks})`,
        f1(total),
        [space('old_space'), space('code_space'), space('new_space'), large, total - main]
          .map(f1)
          .join(' / '),
        `${f1(f.bytecodeMb)} / ${f1(f.machineCodeMb)}`,
        f1(anon - total),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** RSS per service per variant (median over the rounds), and the ratio to "as deployed". */
function comparisonTable(runs: { variant: Variant; svcs: Record<string, Figures> }[]): string {
  const variants = [...new Set(runs.map((r) => r.variant.name))];
  const serviceNames = [...new Set(runs.flatMap((r) => Object.keys(r.svcs)))];
  const rss = (v: string, s: string) =>
    runs.filter((r) => r.variant.name === v && r.svcs[s]).map((r) => r.svcs[s].rssMb);
  const head = [
    '',
    ...variants.map((v) => `${v} RSS MB (runs)`),
    ...variants.slice(1).map((v) => `${v} / deployed`),
  ];
  const lines = [
    'RSS at rest per variant, same run (median of the rounds; each run in brackets):',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
  ];
  for (const s of serviceNames) {
    const base = median(rss(variants[0], s));
    lines.push(
      `| ${[
        s,
        ...variants.map((v) => `${f1(median(rss(v, s)))} (${rss(v, s).map(f1).join(', ')})`),
        ...variants.slice(1).map((v) => (median(rss(v, s)) / base).toFixed(2)),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const servers = await startAll();
  try {
    const deps = await dependencies();
    const baseline = deps['node -e (bare)'].rssMb;
    const variants = parseVariants(process.env.MEMORY_VARIANTS, deployedNodeFlags());
    const rounds = Number(process.env.MEMORY_ROUNDS ?? 1);
    const runs: { name: string; flags: string[]; variant: Variant; svcs: Record<string, Figures> }[] = [];
    const saveJson = () =>
      process.env.MEMORY_JSON &&
      writeFileSync(
        process.env.MEMORY_JSON,
        JSON.stringify(
          { settleS: SETTLE_S, nodeOptions: serviceNodeOptions(), runs, dependencies: deps },
          null,
          2,
        ),
      );
    console.log(
      `\nMemory at rest, ${new Date().toISOString()}, node ${process.version}, settle ${SETTLE_S} s, ` +
        `RSS median of ${SAMPLE_S} s, CPU over settle + sampling, services with NODE_OPTIONS='${serviceNodeOptions()}' ` +
        `${Object.entries(deployedMallocEnvironment())
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}\n`,
    );
    console.log(table('One dependency required alone in a bare node process:', deps, baseline, false));
    console.log(`\n${breakdownTable('Where it is, MB, one dependency alone:', deps)}\n`);
    if (!process.env.MEMORY_DEPENDENCIES_ONLY)
      for (let round = 1; round <= rounds; round++)
        for (const variant of variants) {
          const name = rounds > 1 ? `${variant.name}, round ${round}` : variant.name;
          let svcs: Record<string, Figures>;
          try {
            svcs = await services(servers.mqttUrl, servers.influxUrl, variant);
          } catch (e) {
            // one service that did not come up (a loaded box) costs this run, not the others
            console.log(`${name}: not measured: ${String(e).split('\n')[0]}\n`);
            continue;
          }
          const r = { name, flags: variant.flags, variant, svcs };
          runs.push(r);
          // printed as each run ends: a long comparison keeps what it measured if a later run fails
          const env = Object.entries(variant.env).map(([k, v]) => ` ${k}=${v}`);
          const what = `${name} (node ${r.flags.join(' ')}${env.join('')}${variant.gcAtReady ? ', GCs at ready' : ''})`;
          console.log(
            `${table(`Services of the demo detector, each its own process, ${what}:`, svcs, baseline, true)}\n`,
          );
          console.log(`${breakdownTable(`Where it is, MB, ${what}:`, svcs)}\n`);
          for (const [service, f] of Object.entries(svcs))
            if (f.snapshot) console.log(`heap snapshot ${service} (${name}): ${f.snapshot}`);
          saveJson();
        }
    if (variants.length > 1 || rounds > 1) console.log(`${comparisonTable(runs)}\n`);
    if (process.env.MEMORY_ONE_PROCESS && runs.length > 0) {
      const one = await services(servers.mqttUrl, servers.influxUrl, variants[0], 'one');
      runs.push({ name: 'one process', flags: variants[0].flags, variant: variants[0], svcs: one });
      console.log(
        `${table('Every service in one process (apps/demo main, these servers):', one, baseline, true)}\n`,
      );
      console.log(`${breakdownTable('Where it is, MB, every service in one process:', one)}\n`);
      console.log(`${oneProcessComparison(runs[0].svcs, one.demo)}\n`);
    }
    saveJson();
  } finally {
    await stopAll(servers);
    if (!process.env.MEMORY_PROBE_SNAPSHOT) rmSync(probeDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
