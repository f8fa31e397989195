/**
 * The simulated DAQ answers measurement requests (SPEC 2.4) over the test Mosquitto, from true
 * tubes that differ from their datasheet (SPEC 3.1): a request goes out on
 * cicenns/daq/cmd/measure, its status and result come back on the request's own topics, and
 * the figures agree with /api/sim/truth within their stated errors.
 */
import type { MqttClient } from 'mqtt';
import {
  measureResultSchema,
  measureStatusSchema,
  Topics,
  type DcrResult,
  type GainResult,
  type MeasureResult,
  type MeasureStatus,
} from '@cicenns/contracts';
import { readServerState, waitFor } from './support/servers';
import { ServiceProcess, freePort } from './support/processes';
import { writeTestConfig } from './support/test-config';
import { testClient } from './support/mqtt';

jest.setTimeout(60_000);

const servers = readServerState();
/** the tubes the first simulator (SIM_SEED 4242) showed: the second one, HV off, must have the same */
let tubesOfSeed4242: Truth['tubes'] | undefined;

interface Truth {
  tubes: Record<
    string,
    {
      g0: number;
      v0: number;
      beta: number;
      dcr0Hz: number;
      dcrRefTempC: number;
      dcrTempCoeffPerC: number;
      gainTempCoeffPerC: number;
      dividerMOhm: number;
    }
  >;
  hv: Record<string, { vTrue: number; imon: number }>;
  dcrExpected: Record<string, number>;
  gainExpected: Record<string, number>;
}

describe('simulator: measurement requests over MQTT', () => {
  let sim: ServiceProcess;
  let simUrl: string;
  let mqtt: MqttClient;
  const statuses = new Map<string, MeasureStatus[]>();
  const results = new Map<string, MeasureResult>();
  let seq = 0;

  const truth = async () => (await (await fetch(`${simUrl}/api/sim/truth`)).json()) as Truth;
  const fault = async (body: unknown) => {
    const res = await fetch(`${simUrl}/api/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const clearFault = (id: string) => fetch(`${simUrl}/api/sim/faults/${id}`, { method: 'DELETE' });
  const ask = async (body: Record<string, unknown>): Promise<string> => {
    const request_id = (body.request_id as string | undefined) ?? `e2e-${process.pid}-${++seq}`;
    await mqtt.publishAsync(Topics.measure.request, JSON.stringify({ request_id, ...body }), { qos: 1 });
    return request_id;
  };
  const statusOf = async (id: string) => {
    await waitFor(`a status of ${id}`, async () => (statuses.get(id)?.length ?? 0) > 0, 10_000);
    return statuses.get(id)![0];
  };
  const resultOf = async (id: string) => {
    await waitFor(`the result of ${id}`, async () => results.has(id), 20_000);
    return results.get(id)!;
  };

  beforeAll(async () => {
    const [hvPort, tempPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    const { file } = writeTestConfig({
      hvPort,
      tempPort,
      mqttUrl: servers.mqttUrl,
      clientIdPrefix: `simmeasure${process.pid}`,
    });
    mqtt = await testClient(servers.mqttUrl);
    await mqtt.subscribeAsync([...Topics.measure.answers], { qos: 1 });
    mqtt.on('message', (topic, payload) => {
      const m = Topics.measure.answerPattern.exec(topic);
      if (!m) return;
      const body: unknown = JSON.parse(payload.toString());
      if (m[2] === 'status') {
        const s = measureStatusSchema.parse(body);
        statuses.set(m[1], [...(statuses.get(m[1]) ?? []), s]);
      } else {
        results.set(m[1], measureResultSchema.parse(body));
      }
    });
    sim = new ServiceProcess('simulator', {
      CICENNS_CONFIG: file,
      SIM_HTTP_PORT: String(httpPort),
      SIM_TICK_MS: '50',
      SIM_SEED: '4242',
      SIM_TUBE_SPREAD: '1',
    }).start();
    await sim.waitForOutput(/taking measurement requests on cicenns\/daq\/cmd\/measure/);
    await sim.waitForOutput(/simulator: .*http/);
    simUrl = `http://127.0.0.1:${httpPort}`;
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await sim?.stop();
  });

  it('/api/sim/truth shows the true tubes: spread around the datasheet, IMon = V / R_div', async () => {
    const t = await truth();
    tubesOfSeed4242 = t.tubes;
    const ids = Object.keys(t.tubes);
    expect(ids).toHaveLength(94);
    const a = t.tubes['CsI01-A'];
    expect(a).toMatchObject({ v0: 1400, dcrRefTempC: 22 });
    expect(a.g0).not.toBe(3.6e6);
    const lnGain = ids.filter((id) => id.startsWith('CsI')).map((id) => Math.log(t.tubes[id].g0 / 3.6e6));
    expect(Math.max(...lnGain) - Math.min(...lnGain)).toBeGreaterThan(0.5);
    for (const id of ids) {
      const tube = t.tubes[id];
      expect(tube.beta).toBeGreaterThanOrEqual(6);
      expect(tube.beta).toBeLessThanOrEqual(9);
      const nominal = id.startsWith('CsI') ? 14 : 10;
      expect(Math.abs(tube.dividerMOhm / nominal - 1)).toBeLessThanOrEqual(0.05);
      // IMon noise is 0.02 uA
      expect(Math.abs(t.hv[id].imon - t.hv[id].vTrue / tube.dividerMOhm)).toBeLessThan(0.15);
    }
  });

  it('a DCR request: accepted at once, the result after duration_s with N/t and sqrt(N)/t', async () => {
    const pmts = ['CsI03-A', 'CsI03-B', 'PSV05-A'];
    const sent = Date.now();
    const id = await ask({ kind: 'dcr', pmts, duration_s: 2, run: 'e2e' });
    expect((await statusOf(id)).state).toBe('accepted');
    const r = await resultOf(id);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1900);
    expect(r.kind).toBe('dcr');
    const t = await truth();
    for (const p of pmts) {
      const d = r.results[p] as DcrResult;
      const window = (d.rate_hz / d.rate_err_hz) ** 2 / d.rate_hz; // N = (rate/err)^2, t = N / rate
      expect(window).toBeGreaterThan(1.9);
      expect(window).toBeLessThan(2.5);
      expect(Math.abs(d.rate_hz - t.dcrExpected[p])).toBeLessThan(5 * d.rate_err_hz);
    }
  });

  it('an SPE gain request: the gain of the true tube within its stated error', async () => {
    const pmts = ['CsI06-A', 'PSV09-B'];
    const id = await ask({ kind: 'spe-gain', pmts, duration_s: 3 });
    expect((await statusOf(id)).state).toBe('accepted');
    const r = await resultOf(id);
    const t = await truth();
    for (const p of pmts) {
      const g = r.results[p] as GainResult;
      expect(g.n_spe).toBeGreaterThan(300);
      expect(g.gain_err / g.gain).toBeCloseTo(1.5 / Math.sqrt(g.n_spe), 6);
      expect(Math.abs(g.gain - t.gainExpected[p])).toBeLessThan(5 * g.gain_err);
    }
  });

  it('a bad request is rejected with the reason; an unknown PMT is an error of the result', async () => {
    const bad = await ask({ kind: 'led', pmts: ['CsI01-A'], duration_s: 1 });
    expect(await statusOf(bad)).toMatchObject({
      state: 'rejected',
      reason: expect.stringMatching(/^kind: /),
    });
    const unknown = await ask({ kind: 'dcr', pmts: ['CsI01-A', 'CsI42-A'], duration_s: 0.5 });
    expect((await statusOf(unknown)).state).toBe('accepted');
    const r = await resultOf(unknown);
    expect(r.errors).toEqual({ 'CsI42-A': 'unknown PMT "CsI42-A"' });
    expect(Object.keys(r.results)).toEqual(['CsI01-A']);
    await mqtt.publishAsync(Topics.measure.request, '{not json', { qos: 1 });
    await sim.waitForOutput(/measurement request refused: request is not JSON/);
  });

  it('one request at a time: a second one while measuring is busy', async () => {
    const first = await ask({ kind: 'dcr', pmts: ['CsI02-A'], duration_s: 1.5 });
    expect((await statusOf(first)).state).toBe('accepted');
    const second = await ask({ kind: 'dcr', pmts: ['CsI02-B'], duration_s: 1 });
    expect(await statusOf(second)).toMatchObject({ state: 'busy', reason: `measuring request ${first}` });
    await resultOf(first);
  });

  it('fault daq-silent: requests go unanswered until it is cleared', async () => {
    const f = await fault({ type: 'daq-silent' });
    const ignored = await ask({ kind: 'dcr', pmts: ['CsI04-A'], duration_s: 0.5 });
    await sim.waitForOutput(new RegExp(`measurement request ${ignored} ignored \\(fault daq-silent\\)`));
    await new Promise((r) => setTimeout(r, 1000));
    expect(statuses.has(ignored)).toBe(false);
    expect(results.has(ignored)).toBe(false);
    await clearFault(f);
    const answered = await ask({ kind: 'dcr', pmts: ['CsI04-A'], duration_s: 0.5 });
    expect((await statusOf(answered)).state).toBe('accepted');
    await resultOf(answered);
  });

  it('fault daq-wrong-pmt: the result is filed under a PMT that was not asked for', async () => {
    const f = await fault({ type: 'daq-wrong-pmt' });
    const id = await ask({ kind: 'dcr', pmts: ['CsI07-A'], duration_s: 0.5 });
    const r = await resultOf(id);
    expect(Object.keys(r.results)).toHaveLength(1);
    expect(Object.keys(r.results)[0]).not.toBe('CsI07-A');
    await clearFault(f);
  });
});

describe('simulator: SIM_HV_START=off, a detector before commissioning', () => {
  let sim: ServiceProcess;
  let simUrl: string;
  let mqtt: MqttClient;
  const results = new Map<string, MeasureResult>();

  beforeAll(async () => {
    const [hvPort, tempPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    const { file } = writeTestConfig({
      hvPort,
      tempPort,
      mqttUrl: servers.mqttUrl,
      clientIdPrefix: `simoff${process.pid}`,
    });
    mqtt = await testClient(servers.mqttUrl);
    await mqtt.subscribeAsync(Topics.measure.result('+'), { qos: 1 });
    mqtt.on('message', (topic, payload) => {
      const m = Topics.measure.answerPattern.exec(topic);
      if (m) results.set(m[1], measureResultSchema.parse(JSON.parse(payload.toString())));
    });
    sim = new ServiceProcess('simulator', {
      CICENNS_CONFIG: file,
      SIM_HTTP_PORT: String(httpPort),
      SIM_TICK_MS: '50',
      SIM_SEED: '4242',
      SIM_TUBE_SPREAD: '1',
      SIM_HV_START: 'off',
    }).start();
    await sim.waitForOutput(/taking measurement requests on/);
    await sim.waitForOutput(/simulator: .*http/);
    simUrl = `http://127.0.0.1:${httpPort}`;
  });

  afterAll(async () => {
    await mqtt?.endAsync();
    await sim?.stop();
  });

  it('every channel is off at 0 V; an SPE request answers too few photoelectrons at 0 V; the tubes are the same as with HV on', async () => {
    const t = (await (await fetch(`${simUrl}/api/sim/truth`)).json()) as Truth & {
      hv: Record<string, { power: number; vset: number }>;
    };
    for (const id of Object.keys(t.tubes)) {
      expect(t.hv[id]).toMatchObject({ power: 0, vset: 0, vTrue: 0 });
      expect(t.dcrExpected[id]).toBe(0);
    }
    if (tubesOfSeed4242) expect(t.tubes).toEqual(tubesOfSeed4242);
    const id = `e2e-off-${process.pid}`;
    await mqtt.publishAsync(
      Topics.measure.request,
      JSON.stringify({ request_id: id, kind: 'spe-gain', pmts: ['CsI01-A'], duration_s: 0.5 }),
      { qos: 1 },
    );
    await waitFor(`the result of ${id}`, async () => results.has(id), 20_000);
    expect(results.get(id)).toMatchObject({
      results: {},
      errors: { 'CsI01-A': 'too few single photoelectrons (0) at 0 V' },
    });
  });
});
