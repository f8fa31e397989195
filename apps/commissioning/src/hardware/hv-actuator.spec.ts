import { RpcUnavailable, type BusRpc } from '@cicenns/bus';
import type { ServiceLogger } from '@cicenns/common';
import { Topics, type HvWriteCommand, type HvWriteResult } from '@cicenns/contracts';
import { loadSystemConfig } from '@cicenns/model';
import { DetectorState } from './detector-state';
import { HvActuator, HvChannelFault, HvRefused, HvWriteFailed, type HvWriteAudit } from './hv-actuator';

const { detector } = loadSystemConfig(undefined, {});
const who = { user: 'alice', runId: 'run-7' };
const quiet: ServiceLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** The poller's side of Topics.hv.cmd.write: answers each command with `answer(cmd)`. */
class FakePoller {
  readonly sent: HvWriteCommand[] = [];
  answer: (c: HvWriteCommand) => HvWriteResult | Error = (c) => ({ ...c, ok: true, readBack: c.value });
  readonly rpc = {
    request: async (pattern: string, data: unknown, timeoutMs: number, what: string) => {
      expect(pattern).toBe(Topics.hv.cmd.write);
      expect(what).toBe('the poller');
      expect(timeoutMs).toBeGreaterThan(1000);
      const c = data as HvWriteCommand;
      this.sent.push(c);
      const a = this.answer(c);
      if (a instanceof Error) throw a;
      return a;
    },
  } as unknown as BusRpc;
  writes = () => this.sent.map((c) => `${c.register}=${c.value}`);
}

function setup(hv: Partial<{ rampTimeFactor: number; rampMarginS: number }> = {}) {
  const poller = new FakePoller();
  const state = new DetectorState(detector);
  const settings = { reachedToleranceV: 3, rampTimeFactor: 1.5, rampMarginS: 15, writeTimeoutS: 10, ...hv };
  const actuator = new HvActuator(poller.rpc, state, detector, settings, quiet);
  const audit: HvWriteAudit[] = [];
  actuator.onWrite((w) => audit.push(w));
  let seq = 0;
  const reading = (pmt: string, fields: Record<string, number>) =>
    state.onBatch(
      Topics.readings('poller'),
      JSON.stringify({
        service: 'poller',
        seq: seq++,
        readings: [{ m: 'hv', id: pmt, ts: Date.now() + seq, quality: 'good', fields, source: 'hv-crystal' }],
      }),
    );
  return { poller, state, actuator, audit, reading };
}

/** let the actuator's writes (awaited promises) run */
const flush = () => new Promise((r) => setImmediate(r));

describe('HvActuator', () => {
  it('refuses a voltage above vmax, or an unknown PMT, before sending anything', async () => {
    const { poller, actuator, audit } = setup();
    await expect(actuator.setVoltage('CsI01-A', 1501, who)).rejects.toThrow(HvRefused);
    await expect(actuator.setVoltage('PSV01-A', 1200, who)).rejects.toThrow(
      'not set: vset 1200 V outside 0..1100 V (vmax of PSV01-A)',
    );
    await expect(actuator.setVoltage('CsI99-A', 1000, who)).rejects.toThrow('unknown PMT CsI99-A');
    expect(poller.sent).toEqual([]);
    expect(audit).toEqual([]);
  });

  it('writes the ramp rates, vset and power on, then resolves once VMon is there and not ramping', async () => {
    const { poller, actuator, audit, reading } = setup();
    reading('CsI01-A', { vmon: 0, power: 0, status: 0 });
    const done = actuator.setVoltage('CsI01-A', 1200, who);
    await flush();
    expect(poller.writes()).toEqual(['ramp_up=50', 'ramp_down=50', 'vset=1200', 'power=1']);
    for (const c of poller.sent) {
      expect(c).toMatchObject({ pmt: 'CsI01-A', user: 'alice' });
      expect(c.operationId).toMatch(/^run-7-/);
      expect(c.expiresAt).toBeGreaterThan(Date.now() + 9000);
    }
    expect(new Set(poller.sent.map((c) => c.operationId)).size).toBe(4);
    let settled = false;
    void done.then(() => (settled = true));
    reading('CsI01-A', { vmon: 600, vset: 1200, power: 1, status: 0b011 }); // ramping up
    reading('CsI01-A', { vmon: 1198.5, vset: 1200, power: 1, status: 0b011 }); // near, still ramping
    await flush();
    expect(settled).toBe(false);
    reading('CsI01-A', { vmon: 1198.5, vset: 1200, power: 1, status: 0b001 });
    await expect(done).resolves.toMatchObject({ vmon: 1198.5, status: 1 });
    expect(audit.map((w) => [w.register, w.value, w.ok, w.readBack])).toEqual([
      ['ramp_up', 50, true, 50],
      ['ramp_down', 50, true, 50],
      ['vset', 1200, true, 1200],
      ['power', 1, true, 1],
    ]);
    expect(audit[0]).toMatchObject({ pmt: 'CsI01-A', user: 'alice', runId: 'run-7', at: expect.any(Number) });
  });

  it("fails with the poller's refusal or error, and says when it is unknown whether it wrote", async () => {
    const { poller, actuator, audit } = setup();
    poller.answer = (c) =>
      c.register === 'vset'
        ? { ...c, ok: false, refused: 'interlock set on CsI01-A' }
        : { ...c, ok: true, readBack: c.value };
    await expect(actuator.setVoltage('CsI01-A', 1200, who)).rejects.toThrow(
      new HvWriteFailed('CsI01-A vset=1200: refused by the poller: interlock set on CsI01-A'),
    );
    expect(poller.writes()).toEqual(['ramp_up=50', 'ramp_down=50', 'vset=1200']); // power never switched on
    expect(audit.at(-1)).toMatchObject({ register: 'vset', ok: false, refused: 'interlock set on CsI01-A' });

    poller.sent.length = 0;
    poller.answer = () => new RpcUnavailable('the poller did not answer within 12 s');
    await expect(actuator.setVoltage('CsI01-B', 1200, who)).rejects.toThrow(
      'CsI01-B ramp_up=50: the poller did not answer within 12 s; whether it was written is unknown',
    );
    expect(poller.writes()).toEqual(['ramp_up=50']);
    poller.answer = () => ({ nonsense: true }) as unknown as HvWriteResult;
    await expect(actuator.setVoltage('CsI01-B', 1200, who)).rejects.toThrow(/not an HV write result/);
  });

  it('fails at once when the channel trips or its interlock is set while ramping', async () => {
    const { actuator, reading } = setup();
    const trip = actuator.setVoltage('CsI01-A', 1400, who);
    await flush();
    reading('CsI01-A', { vmon: 700, power: 1, status: 0b011 });
    reading('CsI01-A', { vmon: 0, power: 1, status: 1 << 6 });
    await expect(trip).rejects.toThrow(
      new HvChannelFault('CsI01-A tripped while ramping (VMon 0 V, power on, status 64)'),
    );
    const interlock = actuator.setVoltage('CsI02-A', 1400, who);
    await flush();
    reading('CsI02-A', { vmon: 10, power: 0, status: 1 << 8 });
    await expect(interlock).rejects.toThrow(HvChannelFault);
    await expect(interlock).rejects.toThrow(/CsI02-A: interlock set while ramping/);
  });

  it('times out after |dV| / ramp * rampTimeFactor + rampMarginS, and stops waiting on abort', async () => {
    const { actuator, reading } = setup({ rampTimeFactor: 0.001, rampMarginS: 0.05 });
    expect(actuator.rampTimeoutMs(1400, 50)).toBe(Math.ceil((28 * 0.001 + 0.05) * 1000));
    expect(setup().actuator.rampTimeoutMs(1400, 50)).toBe(57_000);
    reading('CsI01-A', { vmon: 0, power: 0, status: 0 });
    await expect(actuator.setVoltage('CsI01-A', 1000, who)).rejects.toThrow(
      /CsI01-A: not reached within 0.07 s \(last reading VMon 0 V, power off, status 0\)/,
    );
    const ac = new AbortController();
    const slow = setup();
    const aborted = slow.actuator.setVoltage('CsI01-A', 1000, who, ac.signal);
    await flush();
    ac.abort(new Error('run-7 aborted by bob'));
    await expect(aborted).rejects.toThrow('run-7 aborted by bob');
    const before = slow.poller.sent.length;
    await expect(slow.actuator.setVoltage('CsI01-A', 1000, who, ac.signal)).rejects.toThrow('aborted by bob');
    expect(slow.poller.sent.length).toBe(before); // an aborted run writes nothing more
  });

  it('off writes vset 0 and power off, then waits for VMon below a few volts', async () => {
    const { poller, actuator, reading } = setup();
    reading('CsI01-A', { vmon: 1200, power: 1, status: 1 });
    let settled = false;
    const off = actuator.off('CsI01-A', who).then(() => (settled = true));
    await flush();
    expect(poller.writes()).toEqual(['vset=0', 'power=0']);
    reading('CsI01-A', { vmon: 300, power: 0, status: 4 });
    await flush();
    expect(settled).toBe(false);
    reading('CsI01-A', { vmon: 1.2, power: 0, status: 0 });
    await off;
  });

  it('off never throws for a channel already off; for one that may be on it does, after trying both writes', async () => {
    const { poller, actuator, reading } = setup({ rampMarginS: 0.05 });
    poller.answer = () => new RpcUnavailable('the poller unreachable: connection refused');
    reading('CsI01-A', { vmon: 0.4, power: 0, status: 0 });
    await expect(actuator.off('CsI01-A', who)).resolves.toBeUndefined();
    poller.sent.length = 0;
    reading('CsI01-B', { vmon: 900, power: 1, status: 1 });
    await expect(actuator.off('CsI01-B', who)).rejects.toThrow(HvWriteFailed);
    expect(poller.writes()).toEqual(['vset=0', 'power=0']);
    // written, but VMon stays up past the timeout: logged, not thrown (the caller already fails)
    const { actuator: a2, reading: r2 } = setup({ rampTimeFactor: 0.0001, rampMarginS: 0.05 });
    r2('CsI02-A', { vmon: 900, power: 1, status: 1 });
    await expect(a2.off('CsI02-A', who)).resolves.toBeUndefined();
  });
});
