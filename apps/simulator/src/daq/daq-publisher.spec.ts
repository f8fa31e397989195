import { loadSystemConfig } from '@cicenns/model';
import { FaultRegistry } from '../faults/fault-registry';
import { DetectorSim } from '../physics/detector-sim';
import { Random } from '@cicenns/common';
import { DaqPublisher, type Publisher } from './daq-publisher';

const config = loadSystemConfig(undefined, {});

function setup(dcrForm: 'per-pmt' | 'sweep' | 'both' = 'both') {
  const faults = new FaultRegistry(config);
  const sim = new DetectorSim(config, faults, new Random(9), { noise: 1, coincWindowNs: 100 }, Date.now());
  const sent: { topic: string; payload: Record<string, unknown>; qos?: number }[] = [];
  const client = {
    connected: true,
    publish: (topic: string, payload: string, opts: { qos?: number }, cb?: (e?: Error) => void) => {
      sent.push({ topic, payload: JSON.parse(payload), qos: opts.qos });
      cb?.();
    },
  } as unknown as Publisher;
  const settings = {
    dcrPeriodMs: 10_000,
    gainPeriodMs: 600_000,
    coincPeriodMs: 10_000,
    beamPeriodMs: 1000,
    dcrForm,
  };
  return { sim, faults, sent, client, daq: new DaqPublisher(sim, settings, client) };
}

describe('DaqPublisher', () => {
  it('alternates per-PMT and sweep DCR forms with SPEC 2.3 payloads, QoS 1', () => {
    const { daq, sent, sim } = setup('both');
    daq.publishDcr();
    expect(sent).toHaveLength(94);
    expect(sent[0].topic).toBe('cicenns/daq/pmt/CsI01-A/dcr');
    expect(sent[0].qos).toBe(1);
    expect(Object.keys(sent[0].payload).sort()).toEqual(['rate_hz', 'ts', 'window_s']);
    expect(sent[0].payload.rate_hz).toBe(sim.last.dcr['CsI01-A']);
    expect(sent[0].payload.window_s).toBe(10);
    // both timestamp forms
    expect(typeof sent[0].payload.ts).toBe('number');
    expect(sent[1].payload.ts).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    sent.length = 0;
    daq.publishDcr();
    expect(sent).toHaveLength(1);
    expect(sent[0].topic).toBe('cicenns/daq/dcr');
    const rates = sent[0].payload.rates_hz as Record<string, number>;
    expect(Object.keys(rates)).toHaveLength(94);
    expect(rates['PSV32-B']).toBe(sim.last.dcr['PSV32-B']);
    expect(rates['PSV32-B']).toBeGreaterThan(200);
  });

  it('publishes gains (spe), 15 coincidences and the beam', () => {
    const { daq, sent, faults } = setup();
    daq.publishGain();
    expect(sent).toHaveLength(94);
    expect(sent[0]).toMatchObject({ topic: 'cicenns/daq/pmt/CsI01-A/gain', payload: { method: 'spe' } });
    expect((sent[0].payload.gain as number) / 3.6e6).toBeGreaterThan(0.9);
    expect(sent[0].payload.gain_err as number).toBeCloseTo((sent[0].payload.gain as number) * 0.01, 0);
    sent.length = 0;
    daq.publishCoincidence();
    expect(sent.map((m) => m.topic)).toContain('cicenns/daq/crystal/CsI15/coincidence');
    expect(sent).toHaveLength(15);
    expect(sent[0].payload.window_ns).toBe(100);
    sent.length = 0;
    faults.add({ type: 'beam-off' });
    daq.publishBeam();
    expect(sent[0]).toMatchObject({ topic: 'cicenns/beam/status', payload: { on: false, power_kw: 0 } });
  });

  it('drops (and counts) measurements while the broker is away', () => {
    const { daq, sent, client } = setup('sweep');
    (client as { connected: boolean }).connected = false;
    daq.publishDcr();
    daq.publishBeam();
    expect(sent).toHaveLength(0);
    expect(daq.counters.dropped).toBe(2);
  });
});
