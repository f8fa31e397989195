/**
 * The commissioning service's hardware seam on real parts: mosquitto, the simulator (its HV
 * crates obey Modbus writes and ramp at the written rate) and the poller, in this process.
 * HvActuator sets two PMTs through the poller and waits until they are there, refuses a voltage
 * above vmax with nothing written (the simulator's truth unchanged), fails at once on a trip,
 * and switches channels off. DaqClient speaks SPEC 2.4 over the broker to the simulator's DAQ
 * (noise 0: it answers with the expected rates), one request for several PMTs, busy then answered.
 */
import { join } from 'node:path';
import { BusRpc } from '@cicenns/bus/rpc';
import type { ServiceLogger } from '@cicenns/common';
import { Topics, measureRequestSchema, type MeasureRequest } from '@cicenns/contracts';
import { loadProcedures, loadSystemConfig, type Procedure, type SystemConfig } from '@cicenns/model';
import type { MqttClient } from 'mqtt';
import { DaqClient } from '../apps/commissioning/src/hardware/daq-client';
import { DetectorState } from '../apps/commissioning/src/hardware/detector-state';
import {
  HvActuator,
  HvChannelFault,
  HvRefused,
  OFF_VMON_V,
  type HvWriteAudit,
} from '../apps/commissioning/src/hardware/hv-actuator';
import { startPoller, type Poller } from '../apps/poller/src/poller.service';
import { startSimulator, type Simulator } from '../apps/simulator/src';
import { subscribeAndSettle, testClient } from './support/mqtt';
import { freePorts, ROOT } from './support/processes';
import { readServerState, waitFor } from './support/servers';
import { writeTestConfig } from './support/test-config';

jest.setTimeout(180_000);

const servers = readServerState();
const quiet: ServiceLogger = { log: () => undefined, warn: () => undefined, error: (m) => console.error(m) };
const who = { user: 'alice', runId: 'hw-e2e-run' };

describe('commissioning hardware against the simulator and the poller', () => {
  let cfg: SystemConfig;
  let sim: Simulator;
  let poller: Poller;
  let bus: MqttClient;
  let rpc: BusRpc;
  let state: DetectorState;
  let hv: HvActuator;
  let procedure: Procedure;
  const writes: HvWriteAudit[] = [];
  const channel = (pmt: string) => {
    const p = cfg.detector.pmt(pmt)!;
    return sim.sim.hvChannel(p.hv.device, p.hv.channel)!;
  };

  beforeAll(async () => {
    const [hvPort, tempPort] = await freePorts(2);
    const { file } = writeTestConfig({
      hvPort,
      tempPort,
      mqttUrl: servers.mqttUrl,
      pollMs: 200,
      clientIdPrefix: `hw${process.pid}`,
    });
    cfg = loadSystemConfig(file, {});
    [procedure] = loadProcedures(join(ROOT, 'config', 'commissioning.yaml'), cfg.detector);
    sim = await startSimulator(cfg, {
      http: false,
      log: quiet,
      settings: { dcrPeriodMs: 600_000, gainPeriodMs: 600_000, coincPeriodMs: 600_000, noise: 0, seed: 7 },
    });
    poller = await startPoller(cfg, { log: quiet });
    state = new DetectorState(cfg.detector);
    bus = await testClient(servers.mqttUrl);
    bus.on('message', (topic, payload) => state.onBatch(topic, payload));
    await subscribeAndSettle(bus, Topics.readingsAll);
    rpc = new BusRpc(cfg.app.mqtt, 'commissioning-rpc');
    hv = new HvActuator(rpc, state, cfg.detector, procedure.hv, quiet);
    hv.onWrite((w) => writes.push(w));
    await waitFor('good HV readings of the test PMTs', async () =>
      ['CsI01-A', 'CsI01-B', 'PSV01-A'].every((p) => state.hv(p)?.quality === 'good'),
    );
  });

  afterAll(async () => {
    await rpc?.close();
    await bus?.endAsync();
    await poller?.stop();
    await sim?.stop();
  });

  it('refuses a voltage above vmax before anything is written: the simulated crate is untouched', async () => {
    const before = { a: { ...channel('CsI01-A') }, v: { ...channel('PSV01-A') } };
    await expect(hv.setVoltage('CsI01-A', 1501, who)).rejects.toThrow(HvRefused);
    await expect(hv.setVoltage('PSV01-A', 1101, who)).rejects.toThrow(
      'not set: vset 1101 V outside 0..1100 V (vmax of PSV01-A)',
    );
    expect(writes).toEqual([]);
    expect(channel('CsI01-A')).toMatchObject({
      vset: before.a.vset,
      rampUp: before.a.rampUp,
      power: before.a.power,
    });
    expect(channel('PSV01-A')).toMatchObject({
      vset: before.v.vset,
      rampUp: before.v.rampUp,
      power: before.v.power,
    });
  });

  it('sets two PMTs through the poller at the ramp limit and resolves once each is there', async () => {
    const targets = { 'CsI01-A': 1300, 'PSV01-A': 850 };
    const t0 = Date.now();
    const reached = await Promise.all(Object.entries(targets).map(([p, v]) => hv.setVoltage(p, v, who)));
    for (const [i, [pmt, v]] of Object.entries(targets).entries()) {
      expect(Math.abs(reached[i].vmon! - v)).toBeLessThanOrEqual(procedure.hv.reachedToleranceV);
      const ch = channel(pmt);
      expect(ch).toMatchObject({ vset: v, power: 1, rampUp: 50, rampDown: 50 });
      expect(Math.abs(ch.vTrue - v)).toBeLessThanOrEqual(procedure.hv.reachedToleranceV);
    }
    expect(Date.now() - t0).toBeLessThan(30_000);
    const ofA = writes.filter((w) => w.pmt === 'CsI01-A').map((w) => [w.register, w.value, w.ok, w.readBack]);
    expect(ofA).toEqual([
      ['ramp_up', 50, true, 50],
      ['ramp_down', 50, true, 50],
      ['vset', 1300, true, 1300],
      ['power', 1, true, 1],
    ]);
    expect(writes.every((w) => w.user === 'alice' && w.runId === who.runId)).toBe(true);
  });

  it('off() ramps both down and switches them off; off() on a channel already off does not throw', async () => {
    await Promise.all(['CsI01-A', 'PSV01-A'].map((p) => hv.off(p, who)));
    for (const p of ['CsI01-A', 'PSV01-A']) {
      expect(channel(p)).toMatchObject({ vset: 0, power: 0 });
      expect(channel(p).vTrue).toBeLessThan(OFF_VMON_V);
      expect(state.hv(p)!.vmon!).toBeLessThan(OFF_VMON_V);
    }
    const n = writes.length;
    await expect(hv.off('CsI01-A', who)).resolves.toBeUndefined();
    expect(writes.slice(n).map((w) => `${w.register}=${w.value} ${w.ok}`)).toEqual([
      'vset=0 true',
      'power=0 true',
    ]);
  });

  it('fails at once when the channel trips while ramping, naming it', async () => {
    const ramp = hv.setVoltage('CsI01-A', 1200, who);
    await waitFor('CsI01-A ramping up', async () => channel('CsI01-A').vTrue > 50);
    const trippedAt = Date.now();
    channel('CsI01-A').trip();
    await expect(ramp).rejects.toThrow(HvChannelFault);
    await expect(ramp).rejects.toThrow(/^CsI01-A tripped while ramping/);
    expect(Date.now() - trippedAt).toBeLessThan(3000); // not the ramp timeout (~50 s)
    await hv.off('CsI01-A', who);
  });

  describe("DaqClient against the simulator's DAQ (SPEC 2.4) on the broker", () => {
    let watcher: MqttClient;
    let commissioning: MqttClient;
    let daq: DaqClient;
    const requests: MeasureRequest[] = [];

    beforeAll(async () => {
      // only watches the requests go out: the simulator answers them
      watcher = await testClient(servers.mqttUrl);
      watcher.on('message', (topic, payload) => {
        if (topic === Topics.measure.request)
          requests.push(measureRequestSchema.parse(JSON.parse(payload.toString())));
      });
      await watcher.subscribeAsync(Topics.measure.request, { qos: 1 });
      commissioning = await testClient(servers.mqttUrl);
      daq = new DaqClient(commissioning, { ...procedure.daq, busyRetryS: 0.3 }, quiet);
      commissioning.on('message', (topic, payload) => daq.onMessage(topic, payload));
      await daq.subscribe();
    });

    afterAll(async () => {
      sim.faults.clear();
      await watcher?.endAsync();
      await commissioning?.endAsync();
    });

    it('measures three PMTs in one request, each its own DCR (no noise: the expected rate); no SPE gain without HV', async () => {
      const expected = (sim.sim.truth(Date.now()) as { dcrExpected: Record<string, number> }).dcrExpected;
      const got = await Promise.all(
        ['CsI01-B', 'CsI02-A', 'CsI01-A'].map((p) => daq.measure('dcr', p, 0.5, who.runId)),
      );
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({
        kind: 'dcr',
        pmts: ['CsI01-B', 'CsI02-A', 'CsI01-A'],
        duration_s: 0.5,
      });
      expect(requests[0].request_id).toMatch(/^hw-e2e-run-\d+$/);
      expect(got[0]).toMatchObject({ ok: true, dcr: { rate_err_hz: expect.any(Number) } });
      const rate = (r: (typeof got)[number]) => (r.ok ? r.dcr!.rate_hz : NaN);
      expect(rate(got[0])).toBeCloseTo(expected['CsI01-B'], -1);
      expect(rate(got[1])).toBeCloseTo(expected['CsI02-A'], -1);
      expect(rate(got[2])).toBe(0); // switched off above: no dark counts
      const gain = await daq.measure('spe-gain', 'CsI01-A', 0.2, who.runId);
      expect(gain).toEqual({
        ok: false,
        reason: expect.stringMatching(/^DAQ: too few single photoelectrons \(0\) at 0 V/),
      });
      expect(daq.counters()).toMatchObject({ requests: 2, results: 2, badAnswers: 0, timeouts: 0 });
    });

    it('waits while the DAQ is busy, saying why, then gets the result', async () => {
      requests.length = 0;
      const busy = sim.faults.add({ type: 'daq-busy' });
      setTimeout(() => sim.faults.remove(busy.id), 800);
      const waits: string[] = [];
      const r = await daq.measure('dcr', 'CsI01-B', 0.2, who.runId, undefined, (w) => waits.push(w));
      expect(r).toMatchObject({ ok: true });
      expect(waits.length).toBeGreaterThanOrEqual(1);
      expect(waits[0]).toMatch(/^DAQ busy/);
      expect(requests.length).toBe(waits.length + 1);
      expect(new Set(requests.map((q) => q.request_id)).size).toBe(requests.length);
    });
  });
});
