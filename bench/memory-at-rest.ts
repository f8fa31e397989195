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
 *   (CICENNS_NODE_FLAGS) and the NODE_OPTIONS of deploy/env/cicenns.env. SERVICE_NODE_FLAGS='...'
 *   and SERVICE_NODE_OPTIONS='...' replace them (empty: Node's defaults). CPU seconds over the
 *   settle and sample window tell what a flag costs.
 *   MEMORY_PROBE_SNAPSHOT=1 also writes a heap snapshot of each (path printed)
 *   MEMORY_JSON=file writes every figure as JSON; MEMORY_DEPENDENCIES_ONLY=1 skips the services
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAll, stopAll, waitFor } from '../test/support/servers';
import {
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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

/** RSS once a second for SAMPLE_S seconds, then the probe's report. */
async function measure(pids: Record<string, number>): Promise<Record<string, Figures>> {
  const samples = await sampleRss(pids, SAMPLE_S, 1000);
  const out: Record<string, Figures> = {};
  for (const [name, pid] of Object.entries(pids)) {
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
    const r = await probe(pid);
    out[name] = {
      ...rss[name],
      peakMb: status(pid, 'VmHWM'),
      heapUsedMb: r && r.memory.heapUsed / MB,
      heapTotalMb: r && r.memory.heapTotal / MB,
      externalMb: r && r.memory.external / MB,
      modules: r?.modules,
    };
    children[name].kill('SIGKILL');
  }
  return out;
}

async function services(
  mqttUrl: string,
  influxUrl: string,
  nodeFlags: string[],
): Promise<Record<string, Figures>> {
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
  };
  const names = Object.keys(READY).filter((n) =>
    existsSync(join(ROOT, 'dist', 'apps', n, 'src', 'main.js')),
  ) as ServiceName[];
  const procs = names.map((n) => new ServiceProcess(n, env, [...nodeFlags, '-r', PROBE]).start());
  try {
    for (const p of procs) await p.waitForOutput(READY[p.name]!, 60_000);
    process.stderr.write(
      `all ${procs.length} services ready (node ${nodeFlags.join(' ')}); at rest for ${SETTLE_S} s\n`,
    );
    const pids = Object.fromEntries(procs.map((p) => [p.name, p.child!.pid!]));
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

async function main(): Promise<void> {
  const servers = await startAll();
  try {
    const deps = await dependencies();
    const flags = deployedNodeFlags();
    const runs: { name: string; flags: string[]; svcs: Record<string, Figures> }[] = [];
    if (!process.env.MEMORY_DEPENDENCIES_ONLY)
      runs.push({
        name: 'as deployed',
        flags,
        svcs: await services(servers.mqttUrl, servers.influxUrl, flags),
      });
    const baseline = deps['node -e (bare)'].rssMb;
    console.log(
      `\nMemory at rest, ${new Date().toISOString()}, node ${process.version}, settle ${SETTLE_S} s, ` +
        `RSS median of ${SAMPLE_S} s, CPU over settle + sampling, services with NODE_OPTIONS='${serviceNodeOptions()}'\n`,
    );
    for (const r of runs)
      console.log(
        `${table(`Services of the demo detector, each its own process, ${r.name} (node ${r.flags.join(' ')}):`, r.svcs, baseline, true)}\n`,
      );
    console.log(table('One dependency required alone in a bare node process:', deps, baseline, false));
    for (const r of runs)
      for (const [name, f] of Object.entries(r.svcs))
        if (f.snapshot) console.log(`heap snapshot ${name} (${r.name}): ${f.snapshot}`);
    if (process.env.MEMORY_JSON)
      writeFileSync(
        process.env.MEMORY_JSON,
        JSON.stringify(
          { settleS: SETTLE_S, nodeOptions: serviceNodeOptions(), runs, dependencies: deps },
          null,
          2,
        ),
      );
  } finally {
    await stopAll(servers);
    if (!process.env.MEMORY_PROBE_SNAPSHOT) rmSync(probeDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
