/**
 * HV control on real processes: simulator (its HV crates obey Modbus writes and refuse vset above
 * vmax), poller, api. Preview refusals, one channel set and read back, a crystal (two channels),
 * a partial apply, the poller refusing a command over MQTT on its own, a failing crate, the audit
 * trail and the CLI. The interlock refusal is covered by unit tests (hv-safety.spec.ts,
 * hv-command-handler.spec.ts): the simulator has no interlock fault to inject.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './support/processes';
import { readServerState, waitFor } from './support/servers';
import { testClient } from './support/mqtt';
import {
  call,
  loginAll,
  SCRIPT_TOKEN,
  startApiHarness,
  type ApiHarness,
  type TestRole,
} from './support/api-harness';

jest.setTimeout(60_000);

const servers = readServerState();
type HvTruth = { vset: number; iset: number; vmon: number; power: number };

describe('HV control against the simulator', () => {
  let h: ApiHarness;
  let t: Record<TestRole, string>;
  const events: { event: string; data: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  const sse = new AbortController();
  const api = (method: string, path: string, body?: unknown, token = t.expert) =>
    call(h.apiUrl, method, path, { token, body });
  const truth = async (pmt: string): Promise<HvTruth> =>
    ((await (await fetch(`${h.simUrl}/api/sim/truth`)).json()) as { hv: Record<string, HvTruth> }).hv[pmt];
  const preview = (target: unknown, set: unknown) => api('POST', '/api/hv/preview', { target, set });

  beforeAll(async () => {
    h = await startApiHarness({
      mqttUrl: servers.mqttUrl,
      services: ['simulator', 'poller', 'api'],
      tag: 'hv',
    });
    t = await loginAll(h.apiUrl);
    await waitFor('good HV readings in the API', async () => {
      const pmts = (await api('GET', '/api/pmts')).body as { vmon: { quality: string } }[];
      return pmts.every((p) => p.vmon.quality === 'good');
    });
    void (async () => {
      const res = await fetch(`${h.apiUrl}/api/events`, {
        headers: { authorization: `Bearer ${t.viewer}` },
        signal: sse.signal,
      });
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += Buffer.from(chunk).toString();
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const m = /^event: (.*)\ndata: (.*)$/m.exec(frame);
          if (m && m[1] === 'hv-progress') events.push({ event: m[1], data: JSON.parse(m[2]) });
        }
      }
    })().catch(() => undefined);
  });

  afterAll(async () => {
    sse.abort();
    await h?.stop();
  });

  it('previews with a refusal and its reason for every limit; applying such a preview writes nothing', async () => {
    const cases: [unknown, unknown, RegExp][] = [
      [{ pmts: ['CsI01-A'] }, { vset: 1600 }, /vset 1600 V above vmax 1500 V/],
      [{ pmts: ['PSV01-A'] }, { vset: 1200 }, /vset 1200 V above vmax 1100 V/],
      [{ pmts: ['CsI01-A'] }, { iset: 250 }, /iset 250 uA above imax 200 uA/],
      [{ pmts: ['CsI01-A'] }, { rampUp: 60 }, /rampUp 60 V\/s above the ramp limit 50 V\/s/],
      [{ pmts: ['CsI01-A'] }, { rampDown: 51 }, /rampDown 51 V\/s above the ramp limit 50 V\/s/],
    ];
    for (const [target, set, reason] of cases) {
      const r = await preview(target, set);
      expect(r.status).toBe(200);
      expect(r.body.changes[0]).toMatchObject({ allowed: false, refusal: expect.stringMatching(reason) });
    }
    const before = await truth('CsI01-A');
    const p = await preview({ pmts: ['CsI01-A'] }, { vset: 1600 });
    const a = await api('POST', '/api/hv/apply', { previewId: p.body.previewId });
    expect(a.status).toBe(409);
    expect(a.body.message).toMatch(/1 of 1 changes refused .*vmax.*nothing written/);
    expect((await truth('CsI01-A')).vset).toBe(before.vset);
  });

  it.each([
    [{ target: { pmts: ['CsI99-A'] }, set: { vset: 1400 } }, /^target: unknown PMT CsI99-A/],
    [{ target: { crystal: 'CsI16' }, set: { vset: 1400 } }, /^target: unknown crystal CsI16/],
    // names are configuration: "bogus" has a valid form, the detector has no such PMT
    [{ target: { pmts: ['bogus'] }, set: { vset: 1400 } }, /^target: unknown PMT bogus/],
    [{ target: { pmts: ['PSV01/A'] }, set: { vset: 1400 } }, /^target.pmts.0: letters, digits/],
    [{ target: { crystal: 'CsI01', panel: 'PSV01' }, set: { vset: 1 } }, /^target: give exactly one of/],
    [{ target: { crystal: 'CsI01' }, set: {} }, /^set: give at least one of/],
    [{ target: { crystal: 'CsI01' }, set: { vset: '1400' } }, /^set.vset: .*expected number/],
    [{ target: { crystal: 'CsI01' }, set: { vset: -5 } }, /^set.vset: /],
    [{ target: { crystal: 'CsI01' }, set: { rampUp: 10.5 } }, /^set.rampUp: .*int/],
    [{ target: { crystal: 'CsI01' }, set: { power: 'maybe' } }, /^set.power: /],
    [{ target: { crystal: 'CsI01' }, set: { trip_time: 1 } }, /Unrecognized key/],
  ])('400 for a bad preview %j', async (body, message) => {
    const r = await api('POST', '/api/hv/preview', body);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(message),
    });
  });

  it('refuses below expert, unknown or foreign previews', async () => {
    const p = await preview({ pmts: ['CsI01-A'] }, { iset: 150 });
    expect((await api('POST', '/api/hv/apply', { previewId: p.body.previewId }, t.shifter)).status).toBe(403);
    const foreign = await api('POST', '/api/hv/apply', { previewId: p.body.previewId }, SCRIPT_TOKEN);
    expect(foreign.status).toBe(403);
    expect(foreign.body.message).toMatch(/belongs to expert/);
    const unknown = await api('POST', '/api/hv/apply', { previewId: '6f1c1f53-8d4e-4a53-9d25-4c5a1e0e0e0e' });
    expect(unknown.status).toBe(404);
    expect((await api('POST', '/api/hv/apply', { previewId: 'x' })).status).toBe(400);
  });

  it('sets one channel: written, read back, in the simulator, ramp progress pushed until done', async () => {
    const p = await preview({ pmts: ['CsI02-A'] }, { vset: 1420 });
    expect(p.body.changes).toEqual([
      expect.objectContaining({
        pmt: 'CsI02-A',
        device: 'hv-crystal',
        channel: 2,
        from: expect.objectContaining({ vset: 1400, power: 'on' }),
        to: { vset: 1420 },
        allowed: true,
      }),
    ]);
    const a = await api('POST', '/api/hv/apply', { previewId: p.body.previewId });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      ok: true,
      results: [{ pmt: 'CsI02-A', ok: true, readBack: { vset: 1420 } }],
    });
    expect((await truth('CsI02-A')).vset).toBe(1420);
    const op = a.body.operationId;
    await waitFor('hv-progress done', async () =>
      events.some((e) => e.data.operationId === op && e.data.done),
    );
    const progress = events.filter((e) => e.data.operationId === op).map((e) => e.data);
    expect(progress[0]).toMatchObject({ pmt: 'CsI02-A', target: 1420, done: false });
    expect(progress.at(-1)).toMatchObject({ done: true });
    expect(progress.at(-1).timedOut).toBeUndefined();
    expect(Math.abs((await truth('CsI02-A')).vmon - 1420)).toBeLessThan(3);
    // a preview is used once
    expect((await api('POST', '/api/hv/apply', { previewId: p.body.previewId })).status).toBe(404);
  });

  it('sets a crystal (two channels) with results per channel', async () => {
    const p = await preview({ crystal: 'CsI03' }, { vset: 1390, rampUp: 25 });
    expect(p.body.changes.map((c: { pmt: string }) => c.pmt)).toEqual(['CsI03-A', 'CsI03-B']);
    const a = await api('POST', '/api/hv/apply', { previewId: p.body.previewId });
    expect(a.body.results).toEqual([
      { pmt: 'CsI03-A', ok: true, readBack: { ramp_up: 25, vset: 1390 } },
      { pmt: 'CsI03-B', ok: true, readBack: { ramp_up: 25, vset: 1390 } },
    ]);
    for (const pmt of ['CsI03-A', 'CsI03-B']) expect((await truth(pmt)).vset).toBe(1390);
  });

  it('applies only the allowed changes with partial: true, reporting the refused ones', async () => {
    const before = await truth('PSV02-A');
    const p = await preview({ pmts: ['CsI04-A', 'PSV02-A'] }, { vset: 1200 });
    expect(p.body.changes.map((c: { allowed: boolean }) => c.allowed)).toEqual([true, false]);
    const all = await api('POST', '/api/hv/apply', { previewId: p.body.previewId });
    expect(all.status).toBe(409);
    expect(all.body.message).toMatch(/PSV02-A: vset 1200 V above vmax 1100 V.*partial: true/);
    const part = await api('POST', '/api/hv/apply', { previewId: p.body.previewId, partial: true });
    expect(part.body).toMatchObject({
      ok: true,
      results: [{ pmt: 'CsI04-A', ok: true, readBack: { vset: 1200 } }],
      refused: [{ pmt: 'PSV02-A', refusal: expect.stringMatching(/vmax/) }],
    });
    expect((await truth('PSV02-A')).vset).toBe(before.vset);
    expect((await truth('CsI04-A')).vset).toBe(1200);
  });

  it('the poller refuses on its own a write above the limit sent directly over MQTT', async () => {
    const c = await testClient(servers.mqttUrl);
    const topic = 'cicenns/sc/hv/cmd/write';
    await c.subscribeAsync(`${topic}/reply`);
    const replies = new Map<string, any>(); // eslint-disable-line @typescript-eslint/no-explicit-any
    c.on('message', (_t, payload) => {
      const r = JSON.parse(payload.toString());
      replies.set(r.id, r.response);
    });
    const send = async (id: string, data: Record<string, unknown>) => {
      c.publish(topic, JSON.stringify({ pattern: topic, id, data }));
      await waitFor(`reply ${id}`, async () => replies.has(id));
      return replies.get(id);
    };
    const base = {
      pmt: 'CsI05-A',
      register: 'vset',
      user: 'mallory',
      operationId: 'direct',
      expiresAt: Date.now() + 5000,
    };
    const before = await truth('CsI05-A');
    expect(await send('over', { ...base, value: 1600 })).toMatchObject({
      ok: false,
      refused: expect.stringMatching(/outside 0..1500 V/),
    });
    expect(await send('iset', { ...base, register: 'iset', value: 201 })).toMatchObject({
      refused: expect.stringMatching(/imax/),
    });
    expect(await send('ramp', { ...base, register: 'ramp_up', value: 51 })).toMatchObject({
      refused: expect.stringMatching(/ramp limit/),
    });
    expect(await send('reg', { ...base, register: 'trip_time', value: 1 })).toMatchObject({
      refused: expect.stringMatching(/malformed command: register/),
    });
    expect(await send('late', { ...base, value: 1410, expiresAt: Date.now() - 1 })).toMatchObject({
      refused: expect.stringMatching(/expired/),
    });
    expect((await truth('CsI05-A')).vset).toBe(before.vset);
    c.end(true);
  });

  it('a crate with its interlock open: preview refuses the change, the poller refuses it on its own, off is allowed', async () => {
    const fault = await fetch(`${h.simUrl}/api/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'interlock', device: 'hv-veto' }),
    });
    expect(fault.status).toBe(201);
    try {
      // the interlock bit reaches the API through the poller's readings
      await waitFor('interlock bit in the readings', async () => {
        const r = await api('GET', '/api/pmts/PSV03-A');
        return (r.body.status.flags as string[]).includes('interlock');
      });
      const p = await preview({ panel: 'PSV03' }, { vset: 910 });
      expect(p.body.changes).toEqual([
        expect.objectContaining({
          pmt: 'PSV03-A',
          allowed: false,
          refusal: expect.stringMatching(/interlock/),
        }),
        expect.objectContaining({
          pmt: 'PSV03-B',
          allowed: false,
          refusal: expect.stringMatching(/interlock/),
        }),
      ]);
      const a = await api('POST', '/api/hv/apply', { previewId: p.body.previewId });
      expect(a.status).toBe(409);
      // switching off stays possible
      const off = await preview({ pmts: ['PSV03-A'] }, { power: 'off' });
      expect(off.body.changes[0]).toMatchObject({ pmt: 'PSV03-A', allowed: true });
    } finally {
      await fetch(`${h.simUrl}/api/sim/faults`, { method: 'DELETE' });
    }
    expect((await truth('PSV03-A')).vset).toBe(900);
  });

  it('a failing crate: the channel fails with the reason, the rest of the group is reported not attempted', async () => {
    const p = await preview({ crystal: 'CsI06' }, { vset: 1410 });
    expect(p.body.changes.every((c: { allowed: boolean }) => c.allowed)).toBe(true);
    await fetch(`${h.simUrl}/api/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'crate-silent', device: 'hv-crystal' }),
    });
    try {
      const a = await api('POST', '/api/hv/apply', { previewId: p.body.previewId });
      expect(a.status).toBe(200);
      expect(a.body.ok).toBe(false);
      expect(a.body.results).toEqual([
        { pmt: 'CsI06-A', ok: false, readBack: {}, error: expect.stringMatching(/^vset=1410: /) },
        {
          pmt: 'CsI06-B',
          ok: false,
          readBack: {},
          error: 'not attempted: the operation stopped after CsI06-A failed',
        },
      ]);
    } finally {
      await fetch(`${h.simUrl}/api/sim/faults`, { method: 'DELETE' });
    }
    expect((await truth('CsI06-B')).vset).toBe(1400);
  });

  it('audits every channel change with who, what, when, where and outcome', async () => {
    const log = (await api('GET', '/api/audit?limit=500&action=hv.set')).body as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const of = (pmt: string) => log.filter((e) => e.target === pmt);
    expect(of('CsI02-A')[0]).toMatchObject({
      user: 'expert',
      role: 'expert',
      origin: '127.0.0.1',
      action: 'hv.set',
      params: { vset: 1420, operationId: expect.any(String) },
      outcome: 'ok',
      ts: expect.any(Number),
    });
    expect(of('PSV02-A')[0]).toMatchObject({ outcome: 'refused', detail: expect.stringMatching(/vmax/) });
    expect(of('CsI06-A')[0]).toMatchObject({ outcome: 'failed' });
    expect(of('CsI06-B')[0]).toMatchObject({
      outcome: 'failed',
      detail: expect.stringMatching(/not attempted/),
    });
    const previews = (await api('GET', '/api/audit?limit=500&action=hv.preview')).body as {
      outcome: string;
    }[];
    expect(previews.some((e) => e.outcome === 'refused')).toBe(true);
  });

  it('CLI: status, and hv set --yes through the API', async () => {
    await waitFor(
      'HV readings good again after the crate outage',
      async () => (await api('GET', '/api/pmts/CsI07-A')).body.vmon.quality === 'good',
    );
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], {
        env: {
          ...process.env,
          CICENNS_URL: h.apiUrl,
          CICENNS_TOKEN: SCRIPT_TOKEN,
          CICENNS_SESSION_FILE: join(h.dir, 's.json'),
        },
      }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    const status = await cli('status');
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/PMTs: 94 \(94 good\)/);
    const set = await cli('hv', 'set', 'CsI07-A', '--vset', '1405', '--yes');
    expect(set.code).toBe(0);
    expect(set.out).toMatch(/CsI07-A\s+ok\s+vset=1405/);
    expect(set.out).toMatch(/ramp: CsI07-A .*\/1405 V done/);
    expect((await truth('CsI07-A')).vset).toBe(1405);
    const refused = await cli('hv', 'set', 'CsI07-A', '--vset', '1600', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/REFUSED: vset 1600 V above vmax 1500 V/);
  });
});
