import { encodeHealth, parseHealth } from '@cicenns/contracts';
import type { DevicePoller, DeviceStatus } from './device-poller';
import type { ModbusLink } from '../links/modbus-link';
import { DETAIL_DEVICES_MAX, noPollerCounters, pollerHealth } from './health';

const counters = noPollerCounters();

/** as many crates as a 10,000-PMT detector has, each a plain healthy device unless changed */
function crates(n: number, change: Record<number, Partial<DeviceStatus>> = {}): DevicePoller[] {
  return Array.from({ length: n }, (_, i) => {
    const status: DeviceStatus = {
      state: 'up',
      since: 1,
      polls: 100,
      failedPolls: 0,
      overruns: 0,
      lastPollAt: 1_700_000_000_000,
      lastSweepMs: 40,
      lastTransactions: 4,
      ...change[i],
    };
    const device = { id: `hv-crate-${String(i).padStart(4, '0')}`, link: `hv-gw-${i % 5}`, pollMs: 1000 };
    return { device, status, channels: new Array(64), blocks: new Array(4) } as unknown as DevicePoller;
  });
}
const links = Array.from({ length: 5 }, (_, i) => ({
  id: `hv-gw-${i}`,
  state: 'up',
  since: 1,
  counters: { transactions: 1, timeouts: 0, reconnects: 0, failures: 0 },
  queued: 0,
})) as unknown as ModbusLink[];

describe("the poller's health detail", () => {
  it('of a few devices lists every one', () => {
    const h = pollerHealth(links, crates(10), counters, true, 0);
    expect(Object.keys(h.detail!.devices as object)).toHaveLength(10);
    expect(h.detail).not.toHaveProperty('devicesListed');
  });

  it('of 400 devices (a 10,000-PMT detector has 397) lists the 40 in most trouble, a third of the bytes', () => {
    const devices = crates(400, {
      150: { state: 'down', lastError: 'timeout after 1000 ms', failedPolls: 9 },
      120: { overruns: 3, lastSweepMs: 1400 },
      7: { failedPolls: 2 },
      90: { lastSweepMs: 900 },
    });
    const encoded = encodeHealth(pollerHealth(links, devices, counters, true, 0));
    const report = JSON.parse(encoded);
    expect(report.detail).not.toHaveProperty('truncated'); // not the cut's note
    const listed = Object.keys(report.detail.devices);
    expect(listed).toHaveLength(DETAIL_DEVICES_MAX);
    expect(listed.slice(0, 4)).toEqual(['hv-crate-0150', 'hv-crate-0120', 'hv-crate-0007', 'hv-crate-0090']);
    expect(report.detail.devices['hv-crate-0150']).toMatchObject({ lastError: 'timeout after 1000 ms' });
    expect(report.detail.devicesListed).toMatch(/^40 of 400/);
    // every device keeps its state in connections, which device-down is judged from
    expect(Object.keys(report.connections).filter((k) => k.startsWith('device/'))).toHaveLength(400);
    expect(parseHealth(Buffer.from(encoded))).toBeDefined();
    // every device listed was 93 KB, every 2 s to each receiver (alarms, API, historian)
    expect(encoded.length).toBeLessThan(32_000);
  });

  it('in a gateway outage lists the crates that are down first', () => {
    const down = { state: 'down' as const, lastError: 'hv-gw-3: connect ECONNREFUSED 10.20.30.40:502' };
    const outage = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [200 + i, down]));
    const devices = crates(400, { ...outage, 120: { overruns: 3 } });
    const listed = Object.keys(pollerHealth(links, devices, counters, true, 0).detail!.devices as object);
    expect(listed).toEqual(Array.from({ length: 40 }, (_, i) => `hv-crate-0${200 + i}`));
  });
});
