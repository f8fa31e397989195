import { loadSystemConfig } from '@cicenns/model';
import { DevicePoller } from './device-poller';
import { FakeTransport } from '../../../../test/support/fakes/fake-transport';
import { ModbusLink } from '../links/modbus-link';

const cfg = loadSystemConfig(undefined, {});
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('DevicePoller', () => {
  it('a silent crate is asked again only after a back-off, so the other crate on the link is served', async () => {
    const t = new FakeTransport();
    let now = 1_000_000;
    const clock = () => now;
    const linkCfg = cfg.app.links.find((l) => l.id === 'hv-gw')!;
    const link = new ModbusLink(linkCfg, t, { log: quiet, retryPauseMs: 0, now: clock });
    const dev = (id: string) => cfg.app.devices.find((d) => d.id === id)!;
    const hvx = cfg.profiles.get('generic-hv')!;
    const veto = new DevicePoller(dev('hv-veto'), hvx, link, cfg.detector, undefined, quiet, clock);
    const crystal = new DevicePoller(dev('hv-crystal'), hvx, link, cfg.detector, undefined, quiet, clock);

    // unit 2 stops answering: fake it by making every read of unit 2 time out
    const read = t.read.bind(t);
    t.read = async (unit, table, address, count) => {
      if (unit === 2) throw { message: 'Timed out', errno: 'ETIMEDOUT' };
      return read(unit, table, address, count);
    };
    const first = await veto.pollNow();
    expect(first.ok).toBe(false);
    expect(first.readings).toHaveLength(64);
    expect(first.readings.every((r) => r.quality === 'bad' && r.error === 'timeout after 1000 ms')).toBe(
      true,
    );
    expect(veto.status.lastTransactions).toBe(2); // one block and its retry; the other 7 not asked

    const second = await veto.pollNow(); // within the back-off: not asked, still reported bad
    expect(second.readings.every((r) => r.quality === 'bad' && r.error === 'timeout after 1000 ms')).toBe(
      true,
    );
    expect(veto.status.lastTransactions).toBe(0);
    expect((await crystal.pollNow()).ok).toBe(true);

    t.read = read; // answers again
    now += 1200; // past the first back-off (pollMs 1000 + up to 10 %)
    const third = await veto.pollNow();
    expect(third.ok).toBe(true);
    expect(third.readings.every((r) => r.quality === 'good')).toBe(true);
    expect(veto.status).toMatchObject({ state: 'up', lastTransactions: 8 });
  });

  it("each good HV reading carries its channel's good reading before as prevTs; a bad one carries none and breaks no chain", async () => {
    const t = new FakeTransport();
    let now = 1_000_000;
    const link = new ModbusLink(
      cfg.app.links.find((l) => l.id === 'hv-gw')!,
      t,
      {
        log: quiet,
        retryPauseMs: 0,
        now: () => now,
      },
    );
    const device = cfg.app.devices.find((d) => d.id === 'hv-crystal')!;
    const p = new DevicePoller(
      device,
      cfg.profiles.get('generic-hv')!,
      link,
      cfg.detector,
      undefined,
      quiet,
      () => now,
    );
    const first = await p.pollNow();
    expect(first.readings.length).toBeGreaterThan(0);
    expect(first.readings.every((r) => r.quality === 'good' && r.prevTs === undefined)).toBe(true);
    now += 1000;
    expect((await p.pollNow()).readings.every((r) => r.prevTs === 1_000_000)).toBe(true);
    const read = t.read.bind(t);
    t.read = async () => {
      throw { message: 'Timed out', errno: 'ETIMEDOUT' };
    };
    now += 1000;
    expect((await p.pollNow()).readings.every((r) => r.quality === 'bad' && r.prevTs === undefined)).toBe(
      true,
    );
    t.read = read;
    now += 5000; // past the back-off
    expect((await p.pollNow()).readings.every((r) => r.quality === 'good' && r.prevTs === 1_001_000)).toBe(
      true,
    );
  });
});
