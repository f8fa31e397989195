/**
 * The simulator's and the poller's own work per HV channel, in-process, no sockets (issue 13:
 * "measure its share separately so that it does not hide in ours"): npm run bench:sim-cost.
 *
 *   node dist/bench/sim-poll-cost.js [--pmts 5000,10000] [--base DIR/dist] [--rounds 2]
 *
 * For each N a generated detector (writeGeneratedConfig), then in a child process per build and
 * round (the services' node flag --max-semi-space-size=2), each workload driven in a loop:
 *   tick          DetectorSim.tick, 100 ms steps, no fault in force        per channel-tick
 *   tick+faults   the same with an over-current, an interlock and a divider-short in force
 *   render        what the Modbus server does per request: SlaveSet.behaviour + SlaveSet.read,
 *                 for the reads the poller plans for every crate and transmitter  per channel-poll
 *   dcr           DetectorSim.measureDcr (the DAQ's sweep, once a second)          per PMT
 *   poll          PollerService.sweepAll() through a transport answering every read from words
 *                 rendered once, each batch JSON.stringify'd as the MQTT path does  per reading
 *   floor         the two gaussian draws a channel's step needs, nothing else     per channel-tick
 * CPU from process.cpuUsage (user + system, GC included), young-generation collections
 * (scavenges) and GC time from perf_hooks' gc entries.
 *
 * --base: the dist/ of another commit built in a second checkout (git archive <commit> | tar -x
 * -C /tmp/base; ln -s <repo>/node_modules /tmp/base; tsc -p tsconfig.build.json && tsc-alias -p
 * tsconfig.build.json there): its code runs the same workloads in the same run, rounds
 * alternating base / this build, and the table gives this / base. Without it, only this build.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { writeGeneratedConfig } from '@cicenns/model';
import { median } from './percentiles';

interface Figure {
  /** CPU microseconds per unit */
  us: number;
  /** young-generation collections per 1,000 units */
  scavenges: number;
  /** GC milliseconds per 1,000 units */
  gcMs: number;
  units: number;
}

type Workload = 'tick' | 'tick+faults' | 'render' | 'dcr' | 'poll' | 'floor';
/** SIM_COST_ONLY=poll,tick: only those (e.g. to profile one: node --cpu-prof ... --child DIST FILE) */
const WORKLOADS = (['floor', 'tick', 'tick+faults', 'render', 'dcr', 'poll'] as Workload[]).filter(
  (w) => !process.env.SIM_COST_ONLY || process.env.SIM_COST_ONLY.split(',').includes(w),
);
const UNIT: Record<Workload, string> = {
  floor: 'channel-tick',
  tick: 'channel-tick',
  'tick+faults': 'channel-tick',
  render: 'channel-poll',
  dcr: 'PMT',
  poll: 'reading',
};
/** about this many units per workload and child: 0.5-3 s of CPU each on this box */
const TARGET_UNITS: Record<Workload, number> = {
  floor: 4_000_000,
  tick: 1_500_000,
  'tick+faults': 1_500_000,
  render: 600_000,
  dcr: 1_000_000,
  poll: 300_000,
};

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any --
   a child loads the build it is given by path, this one's or the base commit's */
async function child(dist: string, configFile: string): Promise<Record<Workload, Figure>> {
  const load = (p: string): any => require(join(dist, p));
  const { loadSystemConfig } = load('libs/model/src/index.js');
  const { Random } = load('libs/common/src/index.js');
  const { planDevicePoll } = load('libs/modbus/src/index.js');
  const { FaultRegistry } = load('apps/simulator/src/faults/fault-registry.js');
  const { DetectorSim } = load('apps/simulator/src/physics/detector-sim.js');
  const { SlaveSet } = load('apps/simulator/src/modbus/slave-set.js');
  const { PollerService } = load('apps/poller/src/poller.service.js');

  const config = loadSystemConfig(configFile, {});
  const hvDevices = config.app.devices.filter((d: any) => config.profiles.get(d.profile)?.kind === 'hv');
  const channels = hvDevices.reduce((a: number, d: any) => a + d.channels, 0);
  const pmts: number = config.detector.pmts.length;
  const opts = { noise: 1, coincWindowNs: 100, tubeSpread: 1, seed: 1 };
  let nowMs = 0;
  const faults = new FaultRegistry(config, () => nowMs);
  const sim = new DetectorSim(config, faults, new Random(1), opts, nowMs);

  // every link's slaves, as startSimulator makes them; the reads the poller plans for each device
  const reads: { slaves: any; unitId: number; table: string; start: number; count: number }[] = [];
  let polledChannels = 0;
  for (const link of config.app.links) {
    const devices = config.app.devices.filter((d: any) => d.link === link.id);
    const slaves = new SlaveSet(devices, config.profiles, sim, faults);
    for (const d of devices) {
      const profile = config.profiles.get(d.profile);
      const mapped = Array.from({ length: d.channels }, (_, ch) => ch).filter((ch) =>
        profile.kind === 'hv' ? config.detector.pmtByHv(d.id, ch) : config.detector.sensorByChannel(d.id, ch),
      );
      if (profile.kind === 'hv') polledChannels += mapped.length;
      for (const b of planDevicePoll(profile, d.unitId, mapped)) {
        reads.push({ slaves, unitId: b.unitId, table: b.table, start: b.start, count: b.count });
      }
    }
  }

  // the poller against words rendered once: its own work only
  const words = new Map<string, number[]>();
  for (const r of reads)
    words.set(
      `${r.unitId}/${r.table}/${r.start}/${r.count}`,
      r.slaves.read(r.unitId, r.table, r.start, r.count),
    );
  const transport = () => ({
    isOpen: true,
    open: async () => undefined,
    close: async () => undefined,
    onClose: () => undefined,
    read: (unitId: number, table: string, address: number, count: number) =>
      Promise.resolve(words.get(`${unitId}/${table}/${address}/${count}`)!),
    write: async () => undefined,
  });
  const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
  let published = 0;
  const poller = new PollerService(config, {
    log: quiet,
    timers: false,
    transport,
    sink: (batch: unknown) => (published += JSON.stringify(batch).length > 0 ? 1 : 0),
  });
  await poller.start();
  const readingsPerSweep = (await poller.sweepAll()).reduce((a: number, r: any) => a + r.readings.length, 0);

  const rng = new Random(2);
  let sink = 0;
  const steps: Record<Workload, { units: number; run: () => void | Promise<void> }> = {
    floor: {
      units: channels,
      run: () => {
        for (let i = 0; i < channels; i++) sink += rng.gaussian() + rng.gaussian();
      },
    },
    tick: { units: channels, run: () => sim.tick((nowMs += 100)) },
    'tick+faults': { units: channels, run: () => sim.tick((nowMs += 100)) },
    render: {
      units: polledChannels,
      run: () => {
        for (const r of reads) {
          if (!r.slaves.behaviour(r.unitId).silent)
            sink += r.slaves.read(r.unitId, r.table, r.start, r.count)[0];
        }
      },
    },
    dcr: { units: pmts, run: () => void (sink += sim.measureDcr(1)[config.detector.pmts[0].id]) },
    poll: { units: readingsPerSweep, run: async () => void (await poller.sweepAll()) },
  };

  let gcCount = 0;
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if ((e as any).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gcCount++;
      gcMs += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const settle = () => new Promise((r) => setTimeout(r, 20));

  const out = {} as Record<Workload, Figure>;
  for (const w of WORKLOADS) {
    if (w === 'tick+faults') {
      const pmt = config.detector.pmts[0].id;
      faults.add({ type: 'over-current', pmt, imonUa: 500 });
      faults.add({ type: 'divider-short', pmt: config.detector.pmts[1].id });
      faults.add({ type: 'interlock', device: hvDevices[hvDevices.length - 1].id });
    }
    const s = steps[w];
    const reps = Math.max(3, Math.round(TARGET_UNITS[w] / s.units));
    for (let i = 0; i < Math.ceil(reps / 5); i++) await s.run(); // warm-up
    await settle();
    const gc0 = gcCount;
    const ms0 = gcMs;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) await s.run();
    const cpu = process.cpuUsage(cpu0);
    await settle();
    const units = reps * s.units;
    out[w] = {
      us: (cpu.user + cpu.system) / units,
      scavenges: ((gcCount - gc0) * 1000) / units,
      gcMs: ((gcMs - ms0) * 1000) / units,
      units,
    };
    if (w === 'tick+faults') faults.clear();
  }
  obs.disconnect();
  await poller.stop();
  if (!Number.isFinite(sink) || published === 0) throw new Error('nothing measured');
  return out;
}
/* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */

function runChild(dist: string, configFile: string): Promise<Record<Workload, Figure>> {
  return new Promise((res, rej) => {
    const c = fork(__filename, ['--child', dist, configFile], {
      execArgv: ['--max-semi-space-size=2'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let got: Record<Workload, Figure> | undefined;
    c.on('message', (m: Record<Workload, Figure>) => (got = m));
    c.on('exit', (code) => (got ? res(got) : rej(new Error(`child for ${dist} exited ${code}`))));
  });
}

const f2 = (x: number) => (x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pmts: { type: 'string', default: '5000,10000' },
      base: { type: 'string' },
      rounds: { type: 'string', default: '2' },
    },
  });
  const self = resolve(__dirname, '..');
  const base = values.base ? resolve(values.base) : undefined;
  const rounds = Number(values.rounds);
  console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  for (const n of values.pmts.split(',').map(Number)) {
    const dir = mkdtempSync(join(tmpdir(), `sim-cost-${n}-`));
    try {
      writeGeneratedConfig({ pmts: n }, dir);
      const file = join(dir, 'cicenns.yaml');
      const ours: Record<Workload, Figure>[] = [];
      const theirs: Record<Workload, Figure>[] = [];
      for (let r = 0; r < rounds; r++) {
        if (base) theirs.push(await runChild(base, file));
        ours.push(await runChild(self, file));
      }
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      console.log(`\n${n} PMTs, median of ${rounds} rounds, load average after: ${load}`);
      const head = base
        ? '| workload | per | base µs | this µs | this / base | scavenges per 1k, base / this | GC ms per 1k, base / this | × floor, base / this |'
        : '| workload | per | µs | scavenges per 1k | GC ms per 1k | × floor |';
      console.log(head);
      console.log(head.replace(/[^|]+/g, ' --- '));
      const med = (xs: Record<Workload, Figure>[], w: Workload, k: keyof Figure) =>
        median(xs.map((x) => x[w][k]));
      for (const w of WORKLOADS) {
        const o = med(ours, w, 'us');
        const hasFloor = WORKLOADS.includes('floor') && w.startsWith('tick');
        const floorO = hasFloor ? `${f2(o / med(ours, 'floor', 'us'))}` : '';
        if (!base) {
          console.log(
            `| ${w} | ${UNIT[w]} | ${f2(o)} | ${f2(med(ours, w, 'scavenges'))} | ${f2(med(ours, w, 'gcMs'))} | ${floorO} |`,
          );
          continue;
        }
        const t = med(theirs, w, 'us');
        const floorT = hasFloor ? `${f2(t / med(theirs, 'floor', 'us'))} / ${floorO}` : '';
        console.log(
          `| ${w} | ${UNIT[w]} | ${f2(t)} | ${f2(o)} | **${f2(o / t)}** | ` +
            `${f2(med(theirs, w, 'scavenges'))} / ${f2(med(ours, w, 'scavenges'))} | ` +
            `${f2(med(theirs, w, 'gcMs'))} / ${f2(med(ours, w, 'gcMs'))} | ${floorT} |`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (process.argv[2] === '--child') {
  child(resolve(process.argv[3]), process.argv[4]).then(
    (r) => (process.send ? process.send(r, () => process.exit(0)) : console.log(JSON.stringify(r))),
    (err: Error) => {
      console.error(err.stack ?? err.message);
      process.exit(1);
    },
  );
} else {
  main().catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  });
}
