import { loadSystemConfig } from '@cicenns/model';
import { decodeRaw } from '@cicenns/modbus';
import type { MqttClient } from 'mqtt';
import { FakeTransport } from '../../../../test/support/fakes/fake-transport';
import type { HvWriteCommand } from '@cicenns/contracts';
import { refuseHvWrite } from './hv-command-guard';
import { HvCommandHandler } from './hv-command-handler';
import { PollerService } from '../poller.service';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const cfg = loadSystemConfig(undefined, {});
const now = 1_000_000;
const cmd = (o: Partial<HvWriteCommand>): HvWriteCommand => ({
  pmt: 'CsI01-A',
  register: 'vset',
  value: 1400,
  user: 'alice',
  operationId: 'op1',
  expiresAt: now + 5000,
  ...o,
});

describe('refuseHvWrite (the poller-side safety check)', () => {
  const csi = cfg.detector.pmt('CsI01-A')!; // vmax 1500, imax 200, ramp 50
  const veto = cfg.detector.pmt('PSV01-A')!; // vmax 1100
  it.each([
    [cmd({ value: 1501 }), csi, /vset 1501 V outside 0..1500/],
    [cmd({ pmt: 'PSV01-A', value: 1200 }), veto, /outside 0..1100/],
    [cmd({ value: -1 }), csi, /outside/],
    [cmd({ register: 'iset', value: 250 }), csi, /iset 250 uA outside 0..200/],
    [cmd({ register: 'ramp_up', value: 51 }), csi, /ramp_up 51 V\/s outside 1..50/],
    [cmd({ register: 'ramp_down', value: 0 }), csi, /ramp_down 0/],
    [cmd({ register: 'ramp_up', value: 10.5 }), csi, /ramp_up 10.5/],
    [cmd({ register: 'power', value: 2 }), csi, /power must be 0 or 1/],
    [cmd({ pmt: 'CsI99-A' }), undefined, /unknown PMT/],
    [cmd({ expiresAt: now - 1 }), csi, /expired/],
  ])('refuses %j', (c, pmt, re) => {
    expect(refuseHvWrite(c, pmt, [], now)).toMatch(re);
  });

  it('refuses anything but switching off while the channel reports an interlock', () => {
    const csiPmt = cfg.detector.pmt('CsI01-A')!;
    expect(refuseHvWrite(cmd({}), csiPmt, ['on', 'interlock'], now)).toMatch(/interlock/);
    expect(refuseHvWrite(cmd({ register: 'power', value: 1 }), csiPmt, ['interlock'], now)).toMatch(
      /interlock/,
    );
    expect(refuseHvWrite(cmd({ register: 'power', value: 0 }), csiPmt, ['interlock'], now)).toBeUndefined();
    expect(refuseHvWrite(cmd({}), csiPmt, null, now)).toMatch(/interlock state unknown/);
  });

  it('lets values within the limits through', () => {
    const p = cfg.detector.pmt('CsI01-A')!;
    expect(refuseHvWrite(cmd({ value: 1500 }), p, ['on'], now)).toBeUndefined();
    expect(refuseHvWrite(cmd({ register: 'iset', value: 200 }), p, [], now)).toBeUndefined();
    expect(refuseHvWrite(cmd({ register: 'ramp_down', value: 50 }), p, [], now)).toBeUndefined();
  });
});

describe('HvCommandHandler', () => {
  function setup() {
    let hv!: FakeTransport;
    const svc = new PollerService(cfg, {
      log: quiet,
      timers: false,
      sink: () => undefined,
      transport: (l) => {
        const t = new FakeTransport();
        if (l.id === 'hv-gw') hv = t;
        return t;
      },
    });
    const handler = new HvCommandHandler(svc.registers, cfg.detector, {} as MqttClient, quiet, () => now);
    return { svc, hv, handler };
  }

  it('writes, reads back and verifies', async () => {
    const { hv, handler } = setup();
    const r = await handler.execute(cmd({ pmt: 'CsI01-B', value: 1420.5 }));
    expect(r).toEqual({ ok: true, pmt: 'CsI01-B', register: 'vset', value: 1420.5, readBack: 1420.5 });
    // CsI01-B = hv-crystal (unit 1) channel 1: vset at 16
    expect(hv.writes).toEqual([{ unitId: 1, address: 16, values: expect.any(Array) }]);
    expect(decodeRaw(hv.writes[0].values, 'float32', 'ABCD')).toBe(1420.5);
  });

  it('refuses above the limit without touching the device', async () => {
    const { hv, handler } = setup();
    const r = await handler.execute(cmd({ value: 1600 }));
    expect(r.ok).toBe(false);
    expect(r.refused).toMatch(/vmax/);
    expect(hv.writes).toHaveLength(0);
  });

  it('refuses when the status read shows the interlock bit', async () => {
    const { hv, handler } = setup();
    hv.table(1, 'holding')[8] = 1 << 8; // CsI01-A status: interlock
    const r = await handler.execute(cmd({}));
    expect(r.refused).toMatch(/interlock/);
    expect(hv.writes).toHaveLength(0);
  });

  it('refuses a malformed command', async () => {
    const { handler } = setup();
    const r = await handler.execute({ pmt: 'CsI01-A', register: 'trip_time', value: 1 });
    expect(r.refused).toMatch(/malformed command: register/);
  });

  it('reports a failed write', async () => {
    const { hv, handler } = setup();
    hv.mode = 'exception';
    const r = await handler.execute(cmd({}));
    expect(r.ok).toBe(false);
    expect(r.error ?? r.refused).toBeTruthy();
  });
});
