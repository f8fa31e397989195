/**
 * The API's security on real processes (simulator, poller, api; Mosquitto, InfluxDB): every role
 * against every endpoint class, logins, cookies and tokens, the audit log, validation of bodies
 * and queries, alarm actions forwarded over MQTT (a stand-in alarm service answers here; 503
 * when none does), trends from InfluxDB, SSE, and the refusal to start without a users file.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { MqttClient } from 'mqtt';
import { ROOT } from './support/processes';
import { readServerState, waitFor } from './support/servers';
import { testClient } from './support/mqtt';
import {
  call,
  loginAll,
  PASSWORD,
  SCRIPT_TOKEN,
  startApiHarness,
  type ApiHarness,
  type TestRole,
} from './support/api-harness';

jest.setTimeout(60_000);

const servers = readServerState();
const db = `api_${process.pid}`;

describe('API: authentication, roles, audit, validation', () => {
  let h: ApiHarness;
  let t: Record<TestRole, string>;
  let alarmService: MqttClient;
  const forwarded: { topic: string; data: Record<string, unknown> }[] = [];
  let answering = true;
  const api = (method: string, path: string, opts: Parameters<typeof call>[3] = {}) =>
    call(h.apiUrl, method, path, opts);

  beforeAll(async () => {
    // two hours of hv points for the trends query
    // into the raw tier (the shipped influx.tiers.raw, the default policy) as the historian does
    for (const stmt of [
      `CREATE DATABASE "${db}"`,
      `CREATE RETENTION POLICY "cicenns_raw" ON "${db}" DURATION 30d REPLICATION 1 DEFAULT`,
    ])
      await fetch(`${servers.influxUrl}/query?q=${encodeURIComponent(stmt)}`, { method: 'POST' });
    const now = Date.now();
    const lines = Array.from(
      { length: 120 },
      (_, i) => `hv,pmt=CsI01-A vmon=${1400 + i} ${now - (120 - i) * 60_000}`,
    );
    await fetch(`${servers.influxUrl}/write?db=${db}&precision=ms`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    h = await startApiHarness({
      mqttUrl: servers.mqttUrl,
      influxUrl: servers.influxUrl,
      database: db,
      services: ['simulator', 'poller', 'api'],
      tag: 'api',
    });
    // a stand-in alarm service speaking Nest's MQTT request/response
    alarmService = await testClient(servers.mqttUrl);
    await alarmService.subscribeAsync(['cicenns/sc/alarms/cmd/+', 'cicenns/sc/alarms/query/+']);
    alarmService.on('message', (topic, payload) => {
      const req = JSON.parse(payload.toString());
      forwarded.push({ topic, data: req.data });
      if (!answering) return;
      const response = topic.endsWith('/ack')
        ? req.data.alarmIds.map((id: string) =>
            id === 'unknown:x'
              ? { alarmId: id, ok: false, error: 'unknown alarm' }
              : { alarmId: id, ok: true },
          )
        : { ok: true, ...req.data };
      alarmService.publish(`${topic}/reply`, JSON.stringify({ id: req.id, response, isDisposed: true }));
    });
    t = await loginAll(h.apiUrl);
  });

  afterAll(async () => {
    alarmService?.end(true);
    await h?.stop();
  });

  // endpoint classes: read (viewer), alarm action (shifter), expert (HV, disable, audit), admin (users)
  const cases: [string, string, string, unknown, TestRole][] = [
    ['read', 'GET', '/api/pmts', undefined, 'viewer'],
    ['read', 'GET', '/api/detector', undefined, 'viewer'],
    ['read', 'GET', '/api/alarms', undefined, 'viewer'],
    ['read', 'GET', '/api/intake/rejects', undefined, 'viewer'],
    ['shifter', 'POST', '/api/alarms/ack', { alarmIds: ['gain-drift:CsI01-A'] }, 'shifter'],
    ['shifter', 'POST', '/api/alarms/gain-drift:CsI01-A/shelve', { reason: 'test', minutes: 10 }, 'shifter'],
    ['shifter', 'POST', '/api/alarms/gain-drift:CsI01-A/unshelve', {}, 'shifter'],
    ['expert', 'POST', '/api/alarms/gain-drift:CsI01-A/disable', { reason: 'test' }, 'expert'],
    ['expert', 'POST', '/api/alarms/gain-drift:CsI01-A/enable', {}, 'expert'],
    ['expert', 'POST', '/api/hv/preview', { target: { pmts: ['CsI01-A'] }, set: { iset: 150 } }, 'expert'],
    ['expert', 'GET', '/api/audit', undefined, 'expert'],
    ['admin', 'GET', '/api/users', undefined, 'admin'],
  ];
  const rank = { viewer: 0, shifter: 1, expert: 2, admin: 3 };

  it.each(cases)(
    '%s+: %s %s gets 401 without a session, 403 below the role, success from it on',
    async (_c, method, path, body, need) => {
      const anon = await api(method, path, { body });
      expect(anon.status).toBe(401);
      for (const role of ['viewer', 'shifter', 'expert', 'admin'] as TestRole[]) {
        const r = await api(method, path, { token: t[role], body });
        if (rank[role] < rank[need]) {
          expect(r.status).toBe(403);
          expect(r.body.message).toMatch(new RegExp(`needs the ${need} role; ${role} is ${role}`));
        } else expect([200, 201]).toContain(r.status);
      }
    },
  );

  it('intake rejects behind the login; the public health keeps only bounded, valid reports', async () => {
    const notice = {
      ts: Date.now(),
      service: 'intake',
      topic: 'cicenns/daq/pmt/CsI99-A/dcr',
      reason: 'unknown_pmt',
      detail: 'unknown PMT "CsI99-A" in topic',
    };
    await alarmService.publishAsync('cicenns/sc/intake/rejects', 'not a notice', { qos: 1 });
    await alarmService.publishAsync('cicenns/sc/intake/rejects', JSON.stringify(notice), { qos: 1 });
    // a health report that is not one, and one far over any size: neither may break /api/health
    await alarmService.publishAsync('cicenns/sc/health/evil', 'null', { qos: 1 });
    await alarmService.publishAsync(
      'cicenns/sc/health/huge',
      JSON.stringify({
        service: 'huge',
        state: 'running',
        ts: 1,
        connections: {},
        counters: {},
        detail: { x: 'y'.repeat(600_000) },
      }),
      { qos: 1 },
    );
    let r = await api('GET', '/api/intake/rejects?limit=5', { token: t.viewer });
    const until = Date.now() + 10_000;
    while (r.body.rejects?.length === 0 && Date.now() < until)
      r = await api('GET', '/api/intake/rejects?limit=5', { token: t.viewer });
    expect(r.status).toBe(200);
    expect(r.body.rejects).toEqual([notice]);
    expect(r.body.bad).toBeGreaterThanOrEqual(1);
    expect((await api('GET', '/api/intake/rejects?limit=0', { token: t.viewer })).status).toBe(400);
    const health = await api('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.body.services.evil).toBeUndefined();
    expect(health.body.services.huge).toBeUndefined();
    expect(health.body.api.badHealth).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(health.body).length).toBeLessThan(64 * 1024);
  });

  it('public: health, metrics, OpenAPI and Swagger UI; login sets an HttpOnly SameSite=Strict cookie', async () => {
    expect((await api('GET', '/api/health')).status).toBe(200);
    expect((await api('GET', '/metrics')).status).toBe(200);
    const doc = await api('GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/hv/preview', '/api/alarms/ack', '/api/trends', '/api/intake/rejects']),
    );
    expect(
      doc.body.paths['/api/hv/preview'].post.requestBody.content['application/json'].schema.properties.target,
    ).toBeDefined();
    expect((await api('GET', '/api/docs')).status).toBe(200);

    const r = await api('POST', '/api/auth/login', { body: { username: 'viewer', password: PASSWORD } });
    expect(r.body.user).toEqual({ name: 'viewer', role: 'viewer' });
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^cicenns_session=[^;]+;.*HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const me = await api('GET', '/api/me', { cookie: cookie.split(';')[0] });
    expect(me.body).toEqual({ name: 'viewer', role: 'viewer' });
    // logout ends the session for the cookie and the token alike
    await api('POST', '/api/auth/logout', { cookie: cookie.split(';')[0], body: {} });
    expect((await api('GET', '/api/me', { token: r.body.token })).status).toBe(401);
  });

  it('refuses wrong passwords, unknown users, bad tokens; accepts an API token from the users file', async () => {
    const wrong = await api('POST', '/api/auth/login', { body: { username: 'expert', password: 'nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toBe('wrong user name or password');
    const unknown = await api('POST', '/api/auth/login', {
      body: { username: 'mallory', password: PASSWORD },
    });
    expect(unknown.status).toBe(401);
    expect((await api('GET', '/api/pmts', { token: 'forged' })).status).toBe(401);
    expect((await api('GET', '/api/me', { token: SCRIPT_TOKEN })).body).toEqual({
      name: 'script',
      role: 'expert',
    });
    const users = await api('GET', '/api/users', { token: t.admin });
    expect(JSON.stringify(users.body)).not.toMatch(/scrypt|sha256/); // no hashes served
  });

  it('forwards alarm actions with user and origin; answers 409 when the alarm service refuses all', async () => {
    forwarded.length = 0;
    const r = await api('POST', '/api/alarms/ack', {
      token: t.shifter,
      body: { alarmIds: ['a:1', 'b:2'], comment: 'seen' },
    });
    expect(r.status).toBe(200);
    expect(forwarded[0]).toEqual({
      topic: 'cicenns/sc/alarms/cmd/ack',
      data: { alarmIds: ['a:1', 'b:2'], comment: 'seen', user: 'shifter', origin: '127.0.0.1' },
    });
    const before = Date.now();
    await api('POST', '/api/alarms/x:1/shelve', { token: t.shifter, body: { reason: 'noisy', minutes: 30 } });
    const shelve = forwarded.find((f) => f.topic.endsWith('/shelve'))!.data;
    expect(shelve).toMatchObject({ alarmId: 'x:1', reason: 'noisy', user: 'shifter' });
    expect(Math.abs((shelve.until as number) - before - 30 * 60_000)).toBeLessThan(5000);
    const refused = await api('POST', '/api/alarms/ack', {
      token: t.shifter,
      body: { alarmIds: ['unknown:x'] },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/unknown alarm/);
  });

  it('answers 503 with a reason when the alarm service does not answer in 5 s', async () => {
    answering = false;
    try {
      const r = await api('POST', '/api/alarms/ack', { token: t.shifter, body: { alarmIds: ['a:1'] } });
      expect(r.status).toBe(503);
      expect(r.body.message).toMatch(/alarm service did not answer within 5 s/);
    } finally {
      answering = true;
    }
  });

  it.each([
    ['/api/alarms/ack', {}, /^alarmIds: /],
    ['/api/alarms/ack', { alarmIds: [] }, /^alarmIds: .*>=1/],
    ['/api/alarms/ack', { alarmIds: ['a'], extra: 1 }, /Unrecognized key/],
    ['/api/alarms/a:1/shelve', { minutes: 10 }, /^reason: /],
    ['/api/alarms/a:1/shelve', { reason: ' ', minutes: 10 }, /^reason: a reason is required/],
    ['/api/alarms/a:1/shelve', { reason: 'x', minutes: 721 }, /^minutes: /],
    ['/api/alarms/a:1/shelve', { reason: 'x', minutes: 1.5 }, /^minutes: /],
    ['/api/alarms/a:1/disable', {}, /^reason: /],
  ])('400 with the reason: POST %s %j', async (path, body, message) => {
    const r = await api('POST', path, { token: t.admin, body });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(message),
    });
  });

  it('400 for a body that is not JSON', async () => {
    const r = await api('POST', '/api/hv/preview', { token: t.expert, rawBody: '{"target":' });
    expect(r.status).toBe(400);
  });

  it('trends: whitelisted measurement and field, subject from the detector, at most `points` points', async () => {
    const now = Date.now();
    const q = (s: string) => api('GET', `/api/trends?${s}`, { token: t.viewer });
    const r = await q(
      `measurement=hv&field=vmon&subject=CsI01-A&from=${now - 2 * 3600_000}&to=${now}&points=60`,
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ measurement: 'hv', field: 'vmon', subject: 'CsI01-A', unit: 'V' });
    expect(r.body.tiers).toEqual([{ tier: 'raw', policy: 'cicenns_raw', from: now - 2 * 3600_000, to: now }]);
    expect(r.body.points.length).toBeLessThanOrEqual(60);
    const values = r.body.points.filter((p: [number, number | null]) => p[1] !== null);
    expect(values.length).toBeGreaterThan(50);
    const iso = await q(
      `measurement=hv&field=vmon&subject=CsI01-A&from=${new Date(now - 3600_000).toISOString()}`,
    );
    expect(iso.status).toBe(200);
    for (const [bad, why] of [
      ['measurement=alarm&field=x&subject=CsI01-A', /^measurement: /],
      ['measurement=hv&field=status&subject=CsI01-A', /^field: "status" is not a field of hv/],
      ["measurement=hv&field=vmon&subject=CsI01-A' OR 1=1 --", /^subject: no pmt/],
      ['measurement=hv&field=vmon&subject=CsI01-A&from=yesterday', /^from: /],
      ['measurement=hv&field=vmon&subject=CsI01-A&from=2000&to=1000', /^from: must be before to/],
      ['measurement=hv&field=vmon&subject=CsI01-A&points=1', /^points: /],
      ['measurement=hv&field=vmon&subject=CsI01-A&q=DROP', /Unrecognized key/],
    ] as const) {
      const b = await q(bad.replace(/ /g, '%20'));
      expect(b.status).toBe(400);
      expect(b.body.message).toMatch(why);
    }
  });

  it('streams server-sent events with a Bearer token or a ticket, not without (a token in the URL: 401)', async () => {
    expect((await fetch(`${h.apiUrl}/api/events`)).status).toBe(401);
    const inUrl = await fetch(`${h.apiUrl}/api/events?token=${t.viewer}`);
    expect(inUrl.status).toBe(401);
    expect(((await inUrl.json()) as { message: string }).message).toMatch(/POST \/api\/events\/ticket/);
    const ctrl = new AbortController();
    const res = await fetch(`${h.apiUrl}/api/events`, {
      headers: { authorization: `Bearer ${t.viewer}` },
      signal: ctrl.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const until = Date.now() + 10_000;
    while (Date.now() < until && !(/event: health/.test(text) && /event: pmt/.test(text))) {
      const { value } = await reader.read();
      text += Buffer.from(value!).toString();
    }
    ctrl.abort();
    expect(text).toMatch(/event: health\ndata: \{/);
    const pmt = JSON.parse(/event: pmt\ndata: (.*)\n/.exec(text)![1]);
    expect(pmt).toMatchObject({ id: expect.any(String), vmon: { unit: 'V' } });
  });

  it('writes logins, actions and refusals to the audit log with who, what, when, where and outcome', async () => {
    await api('POST', '/api/alarms/ack', { token: t.viewer, body: { alarmIds: ['a:1'] } }); // 403
    await api('POST', '/api/alarms/ack', { body: { alarmIds: ['a:1'] } }); // 401
    await api('POST', '/api/auth/login', { body: { username: 'expert', password: 'wrong' } });
    await waitFor(
      'audit entries',
      async () => (await api('GET', '/api/audit?limit=500', { token: t.expert })).body.length > 10,
    );
    const log = (await api('GET', '/api/audit?limit=500', { token: t.expert })).body as Record<
      string,
      unknown
    >[];
    const find = (m: Record<string, unknown>) =>
      log.find((e) => Object.entries(m).every(([k, v]) => e[k] === v));
    expect(find({ action: 'auth.login', user: 'shifter', outcome: 'ok', origin: '127.0.0.1' })).toBeDefined();
    expect(
      find({ action: 'auth.login', user: 'anonymous', target: 'expert', outcome: 'refused' }),
    ).toMatchObject({
      detail: '401 wrong user name or password',
      params: { username: 'expert', password: '(not logged)' },
    });
    expect(find({ action: 'alarm.ack', user: 'viewer', outcome: 'refused' })).toMatchObject({
      role: 'viewer',
      detail: expect.stringMatching(/^403 .*needs the shifter role/),
      ts: expect.any(Number),
    });
    expect(find({ action: 'alarm.ack', user: 'anonymous', outcome: 'refused' })).toBeDefined();
    expect(find({ action: 'alarm.ack', user: 'shifter', outcome: 'ok', target: 'a:1,b:2' })).toMatchObject({
      params: { alarmIds: ['a:1', 'b:2'], comment: 'seen' },
    });
    expect(find({ action: 'alarm.ack', user: 'shifter', outcome: 'failed' })?.detail).toMatch(/^503/);
    expect(find({ action: 'alarm.shelve', user: 'admin', outcome: 'refused' })?.detail).toMatch(
      /^400 minutes/,
    );
    expect(find({ action: 'alarm.disable', user: 'expert', outcome: 'ok' })).toBeDefined();
    // the audit log is for experts: a viewer may not read it, a limit is validated
    expect((await api('GET', '/api/audit?limit=0', { token: t.expert })).status).toBe(400);
  });

  it('does not start without a users file (no default password)', () => {
    const cfg = parse(readFileSync(h.configFile, 'utf8'));
    cfg.files.users = join(h.dir, 'missing-users.yaml');
    const file = join(h.dir, 'no-users.yaml');
    writeFileSync(file, stringify(cfg));
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/apps/api/src/main.js')], {
      env: { ...process.env, CICENNS_CONFIG: file, NODE_ENV: 'development' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing-users\.yaml: \(root\): no users file/);
  });
});
