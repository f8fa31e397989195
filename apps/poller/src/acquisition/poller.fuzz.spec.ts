/**
 * Property-based fuzzing of the poll path: the real ModbusLink and DevicePoller over a transport
 * whose every reply is generated (any words, wrong lengths, nothing, exceptions, garbage errors,
 * timeouts, dropped connections). Properties: no exception escapes a poll; every mapped channel
 * gets a reading that is good with finite fields or bad with a reason; a bad device does not
 * spoil the other device on the same link; and once the replies are good again, the next poll is.
 */
import fc from 'fast-check';
import type { Reading } from '@cicenns/contracts';
import { loadSystemConfig, type LinkConfig } from '@cicenns/model';
import type { Table } from '@cicenns/modbus';
import { DevicePoller } from './device-poller';
import type { Logger } from '../logger';
import { ModbusLink } from '../links/modbus-link';
import type { ModbusTransport } from '../links/modbus-transport';

const cfg = loadSystemConfig(undefined, {});
const device = (id: string) => cfg.app.devices.find((d) => d.id === id)!;
// four channels each (one read block): many runs rather than big ones
const crystal = { ...device('hv-crystal'), channels: 4 }; // unit 1, generic-hv
const veto = { ...device('hv-veto'), channels: 4 }; // unit 2, generic-hv
const profile = cfg.profiles.get('generic-hv')!;
const link: LinkConfig = { ...cfg.app.links[0], retries: 1, backoff: { initialMs: 10, maxMs: 40 } };
/** cases per property (each case is several polls of two crates): FUZZ_RUNS scales them */
const scale = Number(process.env.FUZZ_RUNS ?? 1000) / 1000;
const runs = (n: number) => Math.max(10, Math.round(n * scale));
const quiet: Logger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** One generated answer to a read. */
type Reply =
  | { kind: 'words'; words: unknown[] }
  | { kind: 'right-length'; fill: number }
  | { kind: 'throw'; error: unknown }
  | { kind: 'timeout' }
  | { kind: 'drop' };

const replyArb: fc.Arbitrary<Reply> = fc.oneof(
  fc.record({
    kind: fc.constant('words' as const),
    words: fc.array(
      fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer(), fc.double(), fc.constant(null)),
      {
        maxLength: 140,
      },
    ),
  }),
  fc.record({ kind: fc.constant('right-length' as const), fill: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({
    kind: fc.constant('throw' as const),
    error: fc.oneof(
      fc.constant(Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 })),
      fc.constant(new Error('Data length error, expected 15 got 13')),
      fc.string().map((s) => new Error(s)),
      fc.string(),
      fc.constant(undefined),
      fc.constant(null),
      fc.object({ maxDepth: 2 }),
    ),
  }),
  fc.constant({ kind: 'timeout' as const }),
  fc.constant({ kind: 'drop' as const }),
);

/** A transport that answers unit 1 from a generated script, and unit 2 with good registers. */
class ScriptedTransport implements ModbusTransport {
  isOpen = false;
  private listeners: ((r: string) => void)[] = [];
  private i = 0;
  constructor(
    private readonly script: Reply[],
    /** unit ids that get the script; others get well-formed zero-filled replies */
    private readonly badUnits: Set<number>,
  ) {}
  async open() {
    this.isOpen = true;
  }
  async close() {
    this.isOpen = false;
  }
  onClose(l: (r: string) => void) {
    this.listeners.push(l);
  }
  async read(unitId: number, _t: Table, _a: number, count: number): Promise<number[]> {
    if (!this.badUnits.has(unitId) || this.script.length === 0) return new Array<number>(count).fill(1);
    const r = this.script[this.i++ % this.script.length];
    switch (r.kind) {
      case 'words':
        return r.words as number[];
      case 'right-length':
        return new Array<number>(count).fill(r.fill);
      case 'throw':
        throw r.error;
      case 'timeout':
        throw { name: 'TransactionTimedOutError', message: 'Timed out', errno: 'ETIMEDOUT' };
      case 'drop':
        this.isOpen = false;
        for (const l of this.listeners) l('connection closed by peer');
        throw Object.assign(new Error('Port Not Open'), { errno: 'ECONNREFUSED' });
    }
  }
  async write(): Promise<void> {
    throw new Error('not in this test');
  }
}

function checkReadings(readings: Reading[], expected: number): void {
  expect(readings).toHaveLength(expected);
  for (const r of readings) {
    if (r.quality === 'good') {
      for (const v of Object.values(r.fields)) expect(Number.isFinite(v)).toBe(true);
    } else {
      expect(r.quality).toBe('bad');
      expect(typeof r.error).toBe('string');
      expect(r.error!.length).toBeGreaterThan(0);
    }
  }
}

function rig(script: Reply[], badUnits: number[]) {
  let now = 1_000_000;
  const clock = () => now;
  const transport = new ScriptedTransport(script, new Set(badUnits));
  const l = new ModbusLink(link, transport, { log: quiet, retryPauseMs: 0, now: clock });
  const a = new DevicePoller(crystal, profile, l, cfg.detector, undefined, quiet, clock);
  const b = new DevicePoller(veto, profile, l, cfg.detector, undefined, quiet, clock);
  return { transport, a, b, advance: (ms: number) => (now += ms) };
}

describe('poll path fuzz (fast-check, real link and poller, generated replies)', () => {
  it('no exception escapes; every channel gets a good reading with finite fields or a bad one with a reason', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(replyArb, { minLength: 1, maxLength: 12 }), async (script) => {
        const { a, b, advance } = rig(script, [1, 2]);
        for (let round = 0; round < 3; round++) {
          const [ra, rb] = await Promise.all([a.pollNow(), b.pollNow()]);
          checkReadings(ra.readings, a.channels.length);
          checkReadings(rb.readings, b.channels.length);
          advance(100);
        }
      }),
      { numRuns: runs(500) },
    );
  }, 30_000);

  it('replies that are wrong but answered (garbage, short, exceptions) on one crate leave the other crate good', async () => {
    const answeredBadly = replyArb.filter((r) => r.kind !== 'timeout' && r.kind !== 'drop');
    await fc.assert(
      fc.asyncProperty(fc.array(answeredBadly, { minLength: 1, maxLength: 12 }), async (script) => {
        const { a, b } = rig(script, [crystal.unitId]);
        for (let round = 0; round < 2; round++) {
          const [ra, rb] = await Promise.all([a.pollNow(), b.pollNow()]);
          checkReadings(ra.readings, a.channels.length);
          expect(rb.ok).toBe(true);
          expect(rb.readings.every((r) => r.quality === 'good')).toBe(true);
        }
      }),
      { numRuns: runs(800) },
    );
  }, 30_000);

  it('after any faults, once the device answers well again, the next poll is good', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(replyArb, { minLength: 1, maxLength: 12 }), async (script) => {
        const { transport, a, advance } = rig(script, [crystal.unitId]);
        await a.pollNow();
        await a.pollNow();
        script.length = 0; // good replies from now on
        // past the link's reconnect back-off and the unit's silence back-off (at most 10 periods)
        advance(11 * crystal.pollMs);
        const r = await a.pollNow();
        expect(transport.isOpen).toBe(true);
        expect(r.ok).toBe(true);
        expect(r.readings.every((x) => x.quality === 'good')).toBe(true);
      }),
      { numRuns: runs(1000) },
    );
  }, 30_000);
});
