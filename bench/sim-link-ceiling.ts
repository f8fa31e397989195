/**
 * Is the simulator's Modbus TCP gateway the ceiling of one poller link? (issue 13, scale)
 * npm run bench:sim-link
 *
 *   node dist/bench/sim-link-ceiling.js [--pmts 10000] [--seconds 5] [--rounds 2] [--base DIR/dist]
 *
 * A generated detector (writeGeneratedConfig) of --pmts; its first HV gateway link. Needed: the
 * reads the poller plans per sweep for every crate behind that gateway (planDevicePoll over the
 * mapped channels), at each device's pollMs, in requests a second. Served: a child process runs
 * the gateway (ModbusTcpServer over that link's SlaveSet, a DetectorSim ticking every 100 ms as
 * the simulator's does); this process is a poller-like client, modbus-serial's ModbusRTU with one
 * request in flight (the poller's SerialQueue), cycling through those planned reads for
 * --seconds; requests a second answered. Reference in the same run: `raw`, a bare net.Server
 * child that answers every request at once with a reply built once (the socket round trip and
 * the client's own cost, no simulator). --base: the same gateway from another build's dist/
 * (e.g. a checkout of main), rounds alternating.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import ModbusRTU from 'modbus-serial';
import { loadSystemConfig, writeGeneratedConfig, type SystemConfig } from '@cicenns/model';
import { planDevicePoll } from '@cicenns/modbus';
import { median } from './percentiles';

interface Read {
  unitId: number;
  table: 'holding' | 'input';
  start: number;
  count: number;
}

/** The reads the poller plans for one link's devices, and how many it needs a second. */
function plannedReads(
  config: SystemConfig,
  linkId: string,
): { reads: Read[]; perSecond: number; crates: number } {
  const reads: Read[] = [];
  let perSecond = 0;
  const devices = config.app.devices.filter((d) => d.link === linkId);
  for (const d of devices) {
    const profile = config.profiles.get(d.profile)!;
    const mapped = Array.from({ length: d.channels }, (_, ch) => ch).filter((ch) =>
      profile.kind === 'hv' ? config.detector.pmtByHv(d.id, ch) : config.detector.sensorByChannel(d.id, ch),
    );
    const blocks = planDevicePoll(profile, d.unitId, mapped);
    for (const b of blocks) reads.push({ unitId: b.unitId, table: b.table, start: b.start, count: b.count });
    perSecond += (blocks.length * 1000) / d.pollMs;
  }
  return { reads, perSecond, crates: devices.length };
}

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any --
   the child loads the build it is given by path, this one's or the base commit's */
async function serve(kind: string, dist: string, configFile: string, linkId: string): Promise<void> {
  if (kind === 'raw') {
    // answers any FC3/FC4 with `count` zero words, at once
    const server = createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 12) {
          const len = 6 + buf.readUInt16BE(4);
          if (buf.length < len) break;
          const count = buf.readUInt16BE(10);
          const out = Buffer.alloc(9 + count * 2);
          buf.copy(out, 0, 0, 4);
          out.writeUInt16BE(3 + count * 2, 4);
          out[6] = buf[6];
          out[7] = buf[7];
          out[8] = count * 2;
          sock.write(out);
          buf = buf.subarray(len);
        }
      });
      sock.on('error', () => sock.destroy());
    });
    server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as any).port }));
    return;
  }
  const load = (p: string): any => require(join(dist, p));
  const { loadSystemConfig: load2 } = load('libs/model/src/index.js');
  const { Random } = load('libs/common/src/index.js');
  const { FaultRegistry } = load('apps/simulator/src/faults/fault-registry.js');
  const { DetectorSim } = load('apps/simulator/src/physics/detector-sim.js');
  const { SlaveSet } = load('apps/simulator/src/modbus/slave-set.js');
  const { ModbusTcpServer } = load('apps/simulator/src/modbus/modbus-tcp-server.js');
  const config = load2(configFile, {});
  const faults = new FaultRegistry(config);
  const sim = new DetectorSim(config, faults, new Random(1), { noise: 1, coincWindowNs: 100 }, Date.now());
  setInterval(() => sim.tick(Date.now()), 100);
  const devices = config.app.devices.filter((d: any) => d.link === linkId);
  const server = new ModbusTcpServer(new SlaveSet(devices, config.profiles, sim, faults));
  process.send!({ port: await server.listen('127.0.0.1', 0) });
}

async function measure(
  kind: string,
  dist: string,
  configFile: string,
  linkId: string,
  reads: Read[],
  seconds: number,
) {
  const child = fork(__filename, ['--serve', kind, dist, configFile, linkId], {
    execArgv: ['--max-semi-space-size=2'],
  });
  const port = await new Promise<number>((r) => child.once('message', (m: any) => r(m.port)));
  const client = new ModbusRTU();
  await client.connectTCP('127.0.0.1', { port });
  client.setTimeout(1000);
  const cycle = async (until: number) => {
    let n = 0;
    for (let i = 0; Date.now() < until; i = (i + 1) % reads.length, n++) {
      const r = reads[i];
      client.setID(r.unitId);
      if (r.table === 'holding') await client.readHoldingRegisters(r.start, r.count);
      else await client.readInputRegisters(r.start, r.count);
    }
    return n;
  };
  await cycle(Date.now() + 500); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const n = await cycle(t0 + seconds * 1000);
  const elapsed = (Date.now() - t0) / 1000;
  const clientCpu = process.cpuUsage(cpu0);
  await new Promise<void>((r) => client.close(() => r()));
  child.kill();
  return { perSecond: n / elapsed, clientCores: (clientCpu.user + clientCpu.system) / 1e6 / elapsed };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pmts: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '2' },
      base: { type: 'string' },
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'sim-link-'));
  try {
    writeGeneratedConfig({ pmts: Number(values.pmts) }, dir);
    const configFile = join(dir, 'cicenns.yaml');
    const config = loadSystemConfig(configFile, {});
    const linkId = config.app.links.find((l) => l.type === 'tcp')!.id;
    const { reads, perSecond: needed, crates } = plannedReads(config, linkId);
    console.log(
      `${values.pmts} PMTs: link ${linkId}, ${crates} crates, ${reads.length} reads a sweep, needs ${needed.toFixed(0)} requests/s`,
    );
    const builds: [string, string][] = [['raw', '']];
    if (values.base) builds.push(['base', resolve(values.base)]);
    builds.push(['this', resolve(__dirname, '..')]);
    const got: Record<string, number[]> = {};
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const [name, dist] of builds) {
        const r = await measure(
          name === 'raw' ? 'raw' : 'gateway',
          dist,
          configFile,
          linkId,
          reads,
          Number(values.seconds),
        );
        (got[name] ??= []).push(r.perSecond);
        console.log(
          `  round ${round + 1} ${name.padEnd(5)} ${r.perSecond.toFixed(0).padStart(6)} requests/s (client ${r.clientCores.toFixed(2)} cores)`,
        );
      }
    }
    console.log('\nbuild  requests/s  / needed  / raw' + (values.base ? '  / base' : ''));
    for (const [name] of builds) {
      const m = median(got[name]);
      const vsBase = values.base ? `  ${(m / median(got.base)).toFixed(2).padStart(6)}` : '';
      console.log(
        `${name.padEnd(5)} ${m.toFixed(0).padStart(11)} ${(m / needed).toFixed(2).padStart(9)} ${(m / median(got.raw)).toFixed(2).padStart(6)}${vsBase}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') {
  void serve(process.argv[3], process.argv[4], process.argv[5], process.argv[6]);
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
