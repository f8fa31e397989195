/**
 * Poll-sweep benchmark (npm run bench:poll): all 94 HV channels' monitors (both crates, the
 * default config's generic-hv profile) against a fast Modbus TCP server in a child process
 * that answers FC3/FC4 from a register array at once (modbus-serial's ServerTCP adds ~1 ms
 * per request, too slow to show a ceiling).
 *   ours:    PollerService.sweepAll() (planning, queue, decoding, readings, batch JSON)
 *   minimum: the fewest reads covering the registers (planReads with maxGap = Infinity),
 *            issued back to back by a bare modbus-serial client, nothing decoded
 * Rounds alternate ours / minimum so that both see the same machine state.
 */
import { fork } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import ModbusRTU from 'modbus-serial';
import { loadSystemConfig } from '@cicenns/model';
import { encodeRaw, plannedItems, planReads } from '@cicenns/modbus';
import { PollerService } from '../apps/poller/src/poller.service';

const SWEEPS = Number(process.env.SWEEPS ?? 200);
const WARMUP = 20;

/** Child mode: the fast server. Unit 1 and 2 share one register array of plausible values. */
function serve(): void {
  const regs = new Array<number>(65536).fill(0);
  for (let ch = 0; ch < 64; ch++) {
    regs.splice(
      ch * 16,
      8,
      ...encodeRaw(1400, 'float32', 'ABCD'),
      ...encodeRaw(2, 'float32', 'ABCD'),
      ...encodeRaw(1399.9, 'float32', 'ABCD'),
      ...encodeRaw(1.5, 'float32', 'ABCD'),
    );
    regs[ch * 16 + 8] = 1;
    regs[ch * 16 + 9] = 1;
  }
  const srv = createServer((sock: Socket) => {
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 12 && buf.length >= 6 + buf.readUInt16BE(4)) {
        const len = buf.readUInt16BE(4);
        const fc = buf[7];
        const start = buf.readUInt16BE(8);
        const count = buf.readUInt16BE(10);
        const reply = Buffer.alloc(9 + 2 * count);
        buf.copy(reply, 0, 0, 8); // transaction id, protocol, (length), unit, function
        reply.writeUInt16BE(3 + 2 * count, 4);
        if (fc !== 3 && fc !== 4) {
          reply[7] = fc | 0x80;
          reply[8] = 1;
          reply.writeUInt16BE(3, 4);
          sock.write(reply.subarray(0, 9));
        } else {
          reply[8] = 2 * count;
          for (let i = 0; i < count; i++) reply.writeUInt16BE(regs[start + i], 9 + 2 * i);
          sock.write(reply);
        }
        buf = buf.subarray(6 + len);
      }
    });
  });
  srv.listen(0, '127.0.0.1', () => {
    const a = srv.address();
    process.send?.({ port: typeof a === 'object' && a ? a.port : 0 });
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function main(): Promise<void> {
  const child = fork(__filename, ['--server'], { stdio: 'inherit' });
  const port = await new Promise<number>((r) => child.once('message', (m: { port: number }) => r(m.port)));
  try {
    const cfg = loadSystemConfig(undefined, {});
    const link = cfg.app.links.find((l) => l.id === 'hv-gw')!;
    Object.assign(link, { port, host: '127.0.0.1' });
    cfg.app.devices = cfg.app.devices.filter((d) => d.link === 'hv-gw');
    const quiet = { log: () => undefined, warn: () => undefined, error: (m: string) => console.error(m) };
    const poller = new PollerService(cfg, { log: quiet, timers: false, sink: (b) => void JSON.stringify(b) });
    await poller.start();

    const hv = cfg.profiles.get('generic-hv')!;
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    const crates = cfg.app.devices.map((d) => plannedItems(hv, d.unitId, range(d.channels)));
    const minimum = planReads(crates.flat(), hv.maxReadRegisters, Infinity);
    const bare = new ModbusRTU();
    await bare.connectTCP('127.0.0.1', { port });
    bare.setTimeout(link.timeoutMs);
    const bareSweep = async () => {
      for (const b of minimum) {
        bare.setID(b.unitId);
        await bare.readHoldingRegisters(b.start, b.count);
      }
    };
    const oursSweep = async () => {
      const results = await poller.sweepAll();
      if (!results.every((r) => r.ok))
        throw new Error(`sweep failed: ${results.map((r) => r.error).join(', ')}`);
    };

    const ours: number[] = [];
    const min: number[] = [];
    for (let i = 0; i < WARMUP + SWEEPS; i++) {
      let t = performance.now();
      await oursSweep();
      if (i >= WARMUP) ours.push(performance.now() - t);
      t = performance.now();
      await bareSweep();
      if (i >= WARMUP) min.push(performance.now() - t);
    }
    const tx = [...poller.devices.values()].reduce((a, d) => a + (d.status.lastTransactions ?? 0), 0);
    const readings = poller.counters.readingsPublished / poller.counters.polls;
    await poller.stop();
    bare.close(() => undefined);

    const f = (x: number) => x.toFixed(2);
    const rows = [
      `| | transactions / sweep | median ms | p99 ms |`,
      `|---|---:|---:|---:|`,
      `| poller (planDevicePoll, maxGap ${hv.maxGapRegisters}, queue, decode, readings) | ${tx} | ${f(pct(ours, 50))} | ${f(pct(ours, 99))} |`,
      `| minimum (planReads maxGap=Infinity, bare modbus-serial) | ${minimum.length} | ${f(pct(min, 50))} | ${f(pct(min, 99))} |`,
      `| ratio | ${(tx / minimum.length).toFixed(2)} | ${(pct(ours, 50) / pct(min, 50)).toFixed(2)} | ${(pct(ours, 99) / pct(min, 99)).toFixed(2)} |`,
    ];
    console.log(
      `\nPoll sweep of ${cfg.app.devices.map((d) => `${d.id} (${d.channels} ch)`).join(' + ')}, ` +
        `${hv.poll.length} registers per channel, ${Math.round(readings * 2)} readings per sweep, ` +
        `${SWEEPS} sweeps after ${WARMUP} warm-up, Node ${process.version}\n`,
    );
    console.log(rows.join('\n'));
    const ok = tx <= minimum.length && pct(ours, 50) <= 1.2 * pct(min, 50);
    console.log(`\ntarget (transactions <= minimum, median time <= 1.2x): ${ok ? 'met' : 'NOT met'}`);
  } finally {
    child.kill();
  }
}

if (process.argv.includes('--server')) serve();
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
