import type { ReadingBatch } from '@cicenns/contracts';
import { loadSystemConfig } from '@cicenns/model';
import { encodeRaw } from '@cicenns/modbus';
import { FakeTransport } from '../../../test/support/fakes/fake-transport';
import { PollerService } from './poller.service';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

function setup() {
  const cfg = loadSystemConfig(undefined, {});
  const transports = new Map<string, FakeTransport>();
  const batches: ReadingBatch[] = [];
  const svc = new PollerService(cfg, {
    log: quiet,
    timers: false,
    sink: (b) => batches.push(b),
    transport: (l) => {
      const t = new FakeTransport();
      transports.set(l.id, t);
      return t;
    },
  });
  return { svc, batches, hv: transports.get('hv-gw')!, temp: transports.get('temp-line')! };
}

describe('PollerService', () => {
  it('polls every device with the planned reads and publishes one batch per device poll', async () => {
    const { svc, batches, hv, temp } = setup();
    await svc.start();
    // CsI01-B = hv-crystal channel 1: vmon float32 ABCD at 1*16+4
    hv.table(1, 'holding').splice(20, 2, ...encodeRaw(1401.5, 'float32', 'ABCD'));
    hv.table(1, 'holding')[24] = 0b1; // status: on
    temp.table(11, 'input')[0] = 215;
    temp.table(11, 'input')[1] = 0x8000;
    await svc.sweepAll();
    expect(batches).toHaveLength(5);
    expect(batches.map((b) => b.seq).sort()).toEqual([1, 2, 3, 4, 5]);
    const all = batches.flatMap((b) => b.readings);
    expect(all.filter((r) => r.m === 'hv')).toHaveLength(94);
    expect(all.find((r) => r.id === 'CsI01-B')?.fields).toMatchObject({ vmon: 1401.5, status: 1 });
    expect(hv.reads).toHaveLength(12); // 4 + 8: the minimum (see plan.spec)
    const t1 = svc.config.detector.sensorByChannel('pt100-1', 0)!.id;
    const t2 = svc.config.detector.sensorByChannel('pt100-1', 1)!.id;
    expect(all.find((r) => r.id === t1)).toMatchObject({ quality: 'good', fields: { value_c: 21.5 } });
    expect(all.find((r) => r.id === t2)).toMatchObject({ quality: 'bad', error: 'sensor open' });
    const h = svc.health();
    expect(h.connections['link/hv-gw'].state).toBe('up');
    expect(h.connections['device/hv-veto'].state).toBe('up');
    expect(h.counters).toMatchObject({ polls: 5, transactions: 15, readingsPublished: all.length });
    expect((h.detail!.devices as Record<string, { transactions: number }>)['hv-veto'].transactions).toBe(8);
    await svc.stop();
  });

  it('a timed-out device gives bad readings with the reason, asked once per sweep', async () => {
    const { svc, batches, hv } = setup();
    await svc.start();
    hv.mode = 'timeout';
    await svc.devices.get('hv-crystal')!.pollNow();
    const rs = batches[0].readings;
    expect(rs).toHaveLength(30);
    for (const r of rs)
      expect(r).toMatchObject({ quality: 'bad', fields: {}, error: 'timeout after 1000 ms' });
    expect(hv.reads).toHaveLength(2); // first block + its retry; the other 3 blocks skipped
    expect(svc.health().connections['device/hv-crystal']).toMatchObject({
      state: 'down',
      detail: 'timeout after 1000 ms',
    });
    await svc.stop();
  });
});
