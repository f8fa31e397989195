import type { ServiceLogger } from '@cicenns/common';
import { MAX_MEASURE_PAYLOAD_BYTES, Topics, type MeasureRequest } from '@cicenns/contracts';
import type { Procedure } from '@cicenns/model';
import type { MqttClient } from 'mqtt';
import { DaqClient } from './daq-client';

const quiet: ServiceLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
const ms = (n: number) => new Promise((r) => setTimeout(r, n));

/**
 * Enough of an MqttClient for DaqClient: subscriptions acknowledged at once, every publish
 * recorded and handed to `daq` (the test's DAQ), whose answers reach the client via `answer`.
 */
class FakeBus {
  readonly requests: MeasureRequest[] = [];
  readonly subscriptions: string[] = [];
  qos: number[] = [];
  daq: (req: MeasureRequest) => void = () => undefined;
  client!: DaqClient;
  readonly mqtt = {
    connected: true,
    on: () => undefined,
    subscribe: (
      topics: string[],
      _o: unknown,
      cb: (e: null, g: { topic: string; qos: number }[]) => void,
    ) => {
      this.subscriptions.push(...topics);
      cb(
        null,
        topics.map((topic) => ({ topic, qos: 1 })),
      );
    },
    publishAsync: async (topic: string, payload: string, o: { qos: number }) => {
      expect(topic).toBe(Topics.measure.request);
      this.qos.push(o.qos);
      const req = JSON.parse(payload) as MeasureRequest;
      this.requests.push(req);
      setImmediate(() => this.daq(req));
    },
  } as unknown as MqttClient;
  answer(topic: string, body: unknown): boolean {
    return this.client.onMessage(topic, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
  }
  status(id: string, state: 'accepted' | 'busy' | 'rejected', reason?: string) {
    this.answer(Topics.measure.status(id), {
      request_id: id,
      ts: Date.now(),
      state,
      ...(reason && { reason }),
    });
  }
  result(
    req: MeasureRequest,
    results: Record<string, unknown>,
    errors?: Record<string, string>,
    kind = req.kind,
  ) {
    const id = req.request_id;
    this.answer(Topics.measure.result(id), {
      request_id: id,
      ts: Date.now(),
      kind,
      results,
      ...(errors && { errors }),
    });
  }
}

const dcr = (rate: number) => ({ rate_hz: rate, rate_err_hz: 1 });
/** a DAQ that accepts and answers every PMT a DCR of 100 Hz + its index */
const goodDaq = (bus: FakeBus) => (req: MeasureRequest) => {
  bus.status(req.request_id, 'accepted');
  bus.result(req, Object.fromEntries(req.pmts.map((p, i) => [p, dcr(100 + i)])));
};

function setup(daq: Partial<Procedure['daq']> = {}) {
  const bus = new FakeBus();
  const settings: Procedure['daq'] = {
    acceptTimeoutS: 0.05,
    resultMarginS: 0.05,
    whenBusy: 'wait',
    busyRetryS: 0.03,
    busyMaxWaitS: 1,
    retries: 1,
    ...daq,
  };
  bus.client = new DaqClient(bus.mqtt, settings, quiet);
  return { bus, daq: bus.client };
}

describe('DaqClient', () => {
  it('sends calls close together as one request (QoS 1) and gives each PMT its own result', async () => {
    const { bus, daq } = setup();
    bus.daq = goodDaq(bus);
    const got = await Promise.all([
      daq.measure('dcr', 'CsI01-A', 5, 'run-1'),
      daq.measure('dcr', 'CsI01-B', 5, 'run-1'),
      daq.measure('dcr', 'CsI01-A', 5, 'run-1'), // the same PMT twice: asked once
    ]);
    expect(bus.requests).toEqual([
      { request_id: 'run-1-1', kind: 'dcr', pmts: ['CsI01-A', 'CsI01-B'], duration_s: 5, run: 'run-1' },
    ]);
    expect(bus.qos).toEqual([1]);
    expect(bus.subscriptions).toEqual(Topics.measure.answers);
    expect(got).toEqual([
      { ok: true, dcr: dcr(100) },
      { ok: true, dcr: dcr(101) },
      { ok: true, dcr: dcr(100) },
    ]);
    expect(daq.counters()).toMatchObject({ requests: 1, results: 1, timeouts: 0 });
  });

  it('gathers the calls that arrive while a request is in flight into ONE next request', async () => {
    const { bus, daq } = setup({ resultMarginS: 1 });
    const pending: MeasureRequest[] = [];
    bus.daq = (req) => {
      bus.status(req.request_id, 'accepted');
      pending.push(req);
    };
    const first = daq.measure('dcr', 'CsI01-A', 0.01, 'run-1');
    await ms(40);
    // three PMTs, 30 ms apart (each beyond the batch window), while the first request runs
    const later = [];
    for (const pmt of ['CsI02-A', 'CsI03-A', 'CsI04-A']) {
      later.push(daq.measure('dcr', pmt, 0.01, 'run-1'));
      await ms(30);
    }
    expect(bus.requests).toHaveLength(1);
    bus.result(pending[0], { 'CsI01-A': dcr(1) });
    await first;
    await ms(20);
    expect(bus.requests.map((r) => r.pmts)).toEqual([['CsI01-A'], ['CsI02-A', 'CsI03-A', 'CsI04-A']]);
    bus.result(pending[1], { 'CsI02-A': dcr(2), 'CsI03-A': dcr(3), 'CsI04-A': dcr(4) });
    expect(await Promise.all(later)).toEqual([2, 3, 4].map((r) => ({ ok: true, dcr: dcr(r) })));
  });

  it('sends one request at a time: another kind or duration waits for the first to finish', async () => {
    const { bus, daq } = setup({ resultMarginS: 1 });
    const pending: MeasureRequest[] = [];
    bus.daq = (req) => {
      bus.status(req.request_id, 'accepted');
      pending.push(req);
    };
    const a = daq.measure('dcr', 'CsI01-A', 0.01, 'run-1');
    const b = daq.measure('spe-gain', 'CsI01-A', 0.01, 'run-1');
    const c = daq.measure('dcr', 'CsI02-A', 0.02, 'run-1');
    await ms(60);
    expect(bus.requests.map((r) => r.request_id)).toEqual(['run-1-1']);
    bus.result(pending[0], { 'CsI01-A': dcr(5) });
    await expect(a).resolves.toEqual({ ok: true, dcr: dcr(5) });
    await ms(10);
    expect(bus.requests.map((r) => `${r.kind}/${r.duration_s}`)).toEqual(['dcr/0.01', 'spe-gain/0.01']);
    bus.result(pending[1], { 'CsI01-A': { gain: 5e6, gain_err: 1e5, n_spe: 4000 } });
    await expect(b).resolves.toEqual({ ok: true, gain: { gain: 5e6, gain_err: 1e5, n_spe: 4000 } });
    await ms(10);
    bus.result(pending[2], { 'CsI02-A': dcr(7) });
    await expect(c).resolves.toEqual({ ok: true, dcr: dcr(7) });
  });

  it('asks again after a timeout, then fails naming the request and the time', async () => {
    const silent = setup({ retries: 1 });
    await expect(silent.daq.measure('dcr', 'CsI01-A', 1, 'run-2')).resolves.toEqual({
      ok: false,
      reason: 'the DAQ did not answer request run-2-2 within 0.05 s',
    });
    expect(silent.bus.requests.map((r) => r.request_id)).toEqual(['run-2-1', 'run-2-2']);
    expect(silent.daq.counters()).toMatchObject({ requests: 2, timeouts: 2 });

    // accepted, but no result within duration_s + resultMarginS; the retry is answered
    const { bus, daq } = setup({ retries: 1 });
    bus.daq = (req) => {
      bus.status(req.request_id, 'accepted');
      if (req.request_id.endsWith('-2')) bus.result(req, { 'CsI01-A': dcr(9) });
    };
    await expect(daq.measure('dcr', 'CsI01-A', 0.02, 'run-3')).resolves.toEqual({ ok: true, dcr: dcr(9) });
    const never = setup({ retries: 0 });
    never.bus.daq = (req) => never.bus.status(req.request_id, 'accepted');
    await expect(never.daq.measure('dcr', 'CsI01-A', 0.02, 'run-4')).resolves.toEqual({
      ok: false,
      reason: 'the DAQ did not answer request run-4-1 within 0.07 s',
    });
  });

  it('waits while the DAQ is busy (saying why), or stops at once when the procedure says so', async () => {
    const { bus, daq } = setup();
    bus.daq = (req) =>
      bus.requests.length < 3
        ? bus.status(req.request_id, 'busy', 'beam on, taking physics data')
        : goodDaq(bus)(req);
    const waits: string[] = [];
    await expect(daq.measure('dcr', 'CsI01-A', 1, 'run-5', undefined, (w) => waits.push(w))).resolves.toEqual(
      {
        ok: true,
        dcr: dcr(100),
      },
    );
    expect(waits).toEqual([
      'DAQ busy: beam on, taking physics data',
      'DAQ busy: beam on, taking physics data',
    ]);
    expect(daq.counters()).toMatchObject({ requests: 3, busy: 2, timeouts: 0 });

    const stop = setup({ whenBusy: 'stop' });
    stop.bus.daq = (req) => stop.bus.status(req.request_id, 'busy', 'beam on');
    await expect(stop.daq.measure('dcr', 'CsI01-A', 1, 'run-6')).resolves.toEqual({
      ok: false,
      reason: 'DAQ busy: beam on',
    });
    const forever = setup({ busyRetryS: 0.02, busyMaxWaitS: 0.07 });
    forever.bus.daq = (req) => forever.bus.status(req.request_id, 'busy');
    const r = await forever.daq.measure('dcr', 'CsI01-A', 1, 'run-7');
    expect(r).toEqual({
      ok: false,
      reason: expect.stringMatching(/^DAQ busy: no reason given; still busy after/),
    });
    expect(forever.bus.requests.length).toBeGreaterThanOrEqual(3);
  });

  it("fails with the DAQ's reason when it rejects the request", async () => {
    const { bus, daq } = setup();
    bus.daq = (req) => bus.status(req.request_id, 'rejected', 'unknown PMT CsI01-A in this crate map');
    await expect(daq.measure('spe-gain', 'CsI01-A', 1, 'run-8')).resolves.toEqual({
      ok: false,
      reason: 'the DAQ rejected request run-8-1: unknown PMT CsI01-A in this crate map',
    });
    expect(daq.counters()).toMatchObject({ rejected: 1 });
  });

  it('matches the result to the PMTs asked: errors, missing, wrong kind, foreign PMTs', async () => {
    const { bus, daq } = setup();
    bus.daq = (req) => {
      bus.status(req.request_id, 'accepted');
      bus.result(
        req,
        { 'CsI01-A': dcr(3), 'CsI01-B': { gain: 1e6, gain_err: 1e4, n_spe: 10 }, 'CsI09-A': dcr(1) },
        { 'CsI02-A': 'no signal on the channel', 'PSV01-A': 'not asked' },
      );
    };
    const got = await Promise.all(
      ['CsI01-A', 'CsI01-B', 'CsI02-A', 'CsI02-B'].map((p) => daq.measure('dcr', p, 1, 'run-9')),
    );
    expect(got).toEqual([
      { ok: true, dcr: dcr(3) },
      { ok: false, reason: "the DAQ's result for request run-9-1 has no dcr value for CsI01-B" },
      { ok: false, reason: 'DAQ: no signal on the channel' },
      { ok: false, reason: "the DAQ's result for request run-9-1 has nothing for CsI02-B" },
    ]);
    expect(daq.counters()).toMatchObject({ foreignResults: 2 });

    const wrongKind = setup();
    wrongKind.bus.daq = (req) => wrongKind.bus.result(req, { 'CsI01-A': dcr(3) }, undefined, 'dcr');
    await expect(wrongKind.daq.measure('spe-gain', 'CsI01-A', 1, 'run-10')).resolves.toEqual({
      ok: false,
      reason: "the DAQ's result for request run-10-1 is a dcr result, asked spe-gain",
    });
  });

  it('counts and ignores bad answers and answers to requests not in flight', async () => {
    const { bus, daq } = setup({ resultMarginS: 1 });
    let req: MeasureRequest | undefined;
    bus.daq = (r) => (req = r);
    const m = daq.measure('dcr', 'CsI01-A', 0.01, 'run-11');
    await ms(40);
    const id = req!.request_id;
    expect(bus.answer(Topics.measure.status(id), 'not json')).toBe(true);
    expect(bus.answer(Topics.measure.status(id), { request_id: id, ts: 1, state: 'maybe' })).toBe(true);
    expect(bus.answer(Topics.measure.status(id), { request_id: 'other-1', ts: 1, state: 'accepted' })).toBe(
      true,
    );
    expect(bus.answer(Topics.measure.result(id), 'x'.repeat(MAX_MEASURE_PAYLOAD_BYTES + 1))).toBe(true);
    expect(
      bus.answer(Topics.measure.status('old-1'), { request_id: 'old-1', ts: 1, state: 'accepted' }),
    ).toBe(true);
    expect(bus.answer(Topics.measure.request, '{}')).toBe(false);
    expect(bus.answer(Topics.readings('poller'), '{}')).toBe(false);
    expect(daq.counters()).toMatchObject({ badAnswers: 4, unknownAnswers: 1 });
    // the request is still in flight and gets its good answer
    bus.status(id, 'accepted');
    bus.result(req!, { 'CsI01-A': dcr(4) });
    await expect(m).resolves.toEqual({ ok: true, dcr: dcr(4) });
  });

  it('on abort the caller stops waiting; the others of its request still get their results', async () => {
    const { bus, daq } = setup({ resultMarginS: 1 });
    let req: MeasureRequest | undefined;
    bus.daq = (r) => {
      req = r;
      bus.status(r.request_id, 'accepted');
    };
    const ac = new AbortController();
    const a = daq.measure('dcr', 'CsI01-A', 0.01, 'run-12', ac.signal);
    const b = daq.measure('dcr', 'CsI01-B', 0.01, 'run-12');
    await ms(40);
    ac.abort(new Error('run-12 aborted'));
    await expect(a).rejects.toThrow('run-12 aborted');
    bus.result(req!, { 'CsI01-A': dcr(1), 'CsI01-B': dcr(2) });
    await expect(b).resolves.toEqual({ ok: true, dcr: dcr(2) });
    await expect(daq.measure('dcr', 'CsI01-A', 1, 'run-12', ac.signal)).rejects.toThrow('run-12 aborted');

    // every caller gone: the request is given up and the next one goes out at once
    const solo = new AbortController();
    const c = daq.measure('dcr', 'CsI03-A', 5, 'run-13', solo.signal);
    await ms(40);
    solo.abort();
    await expect(c).rejects.toThrow();
    bus.daq = goodDaq(bus);
    await expect(daq.measure('dcr', 'CsI04-A', 5, 'run-14')).resolves.toEqual({ ok: true, dcr: dcr(100) });
  });
});
