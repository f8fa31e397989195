import { loadSystemConfig } from '@cicenns/model';
import { applyFaultCommand } from './fault-commands';
import { FaultError, FaultRegistry } from './fault-registry';

const config = loadSystemConfig(undefined, {});

describe('fault registry and MQTT commands', () => {
  it('validates shape and references with a reason', () => {
    const f = new FaultRegistry(config);
    expect(() => f.add({ type: 'hv-trip' })).toThrow(/^pmt: /);
    expect(() => f.add({ type: 'hv-trip', pmt: 'CsI99-A' })).toThrow(/unknown PMT "CsI99-A"/);
    expect(() => f.add({ type: 'crate-silent', device: 'nope' })).toThrow(
      /unknown device "nope" \(known: hv-crystal/,
    );
    expect(() => f.add({ type: 'sensor-open', sensor: 'T-moon' })).toThrow(FaultError);
    expect(() => f.add({ type: 'dcr-jump', pmt: 'CsI01-A', factor: 'big' })).toThrow(/factor/);
    expect(() => f.add({ type: 'meteor' })).toThrow(FaultError);
    expect(() => f.add({ type: 'beam-off', extra: 1 })).toThrow(FaultError);
    expect(f.list()).toEqual([]);
  });

  it('adds, finds by target, removes, clears', () => {
    const f = new FaultRegistry(config, () => 1000);
    const a = f.add({ type: 'dcr-jump', pmt: 'CsI01-A', factor: 3 });
    expect(a).toEqual({
      type: 'dcr-jump',
      pmt: 'CsI01-A',
      factor: 3,
      id: 'f1',
      injectedAt: new Date(1000).toISOString(),
      injectedAtMs: 1000,
    });
    f.add({ type: 'dcr-jump', pmt: 'CsI01-B', factor: 2 });
    expect(f.on('dcr-jump', 'CsI01-A')).toEqual([a]);
    expect(f.remove('f1')).toEqual(a);
    expect(f.remove('f1')).toBeUndefined();
    expect(f.clear().map((x) => x.id)).toEqual(['f2']);
  });

  it('applies MQTT JSON commands: add, clear one, clear all, garbage', () => {
    const f = new FaultRegistry(config);
    const r = applyFaultCommand(f, JSON.stringify({ type: 'beam-off' }));
    expect(r).toMatchObject({ ok: true, added: { type: 'beam-off', id: 'f1' } });
    applyFaultCommand(f, JSON.stringify({ type: 'sensor-open', sensor: 'T-hall' }));
    expect(applyFaultCommand(f, '{"clear":"f1"}')).toMatchObject({ ok: true, cleared: [{ id: 'f1' }] });
    expect(applyFaultCommand(f, '{"clear":"f1"}')).toEqual({ ok: false, reason: 'no fault "f1"' });
    expect(applyFaultCommand(f, '{"clear":true}')).toMatchObject({ ok: true, cleared: [{ id: 'f2' }] });
    expect(applyFaultCommand(f, 'not json')).toEqual({ ok: false, reason: 'payload is not JSON' });
    expect(applyFaultCommand(f, '{"type":"hv-trip","pmt":1}')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^pmt:/),
    });
  });
});
