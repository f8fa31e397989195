/**
 * Property-based fuzzing of the real API process (real Mosquitto; a stand-in alarm service
 * answers the alarm commands over MQTT): generated bodies (deep, wide, huge strings, wrong types,
 * prototype keys, not JSON at all, wrong content types) and query strings through the real routes,
 * with and without credentials. Properties: no 5xx; every error is JSON whose message names the
 * problem; a good request among bad ones still succeeds.
 */
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { testClient } from './support/mqtt';
import { readServerState } from './support/servers';
import {
  loginAll,
  rawCall,
  SCRIPT_TOKEN,
  startApiHarness,
  type ApiHarness,
  type RawReply,
  type TestRole,
} from './support/api-harness';

jest.setTimeout(120_000);

const servers = readServerState();

const POSTS = [
  '/api/auth/login',
  '/api/auth/logout',
  '/api/hv/preview',
  '/api/hv/apply',
  '/api/alarms/ack',
  '/api/alarms/dcr-high:PSV01-A/shelve',
  '/api/alarms/dcr-high:PSV01-A/disable',
  '/api/alarms/gain-drift:CsI01-A/enable',
  '/api/alarms/gain-drift:CsI01-A/unshelve',
  '/api/events/ticket',
];
const GETS = [
  '/api/trends',
  '/api/audit',
  '/api/alarms/journal',
  '/api/pmts/CsI01-A',
  '/api/pmts',
  '/api/me',
];
const FIELDS = [
  'username',
  'password',
  'target',
  'set',
  'pmts',
  'vset',
  'previewId',
  'alarmIds',
  'reason',
  'minutes',
  'measurement',
  'from',
];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

const nested = (n: number, open: string, close: string, leaf: string) =>
  open.repeat(n) + leaf + close.repeat(n);

/** A body as sent on the wire: mostly JSON of some hostile shape, sometimes not JSON at all. */
const bodyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)) },
  {
    weight: 4,
    arbitrary: fc
      .dictionary(fc.constantFrom(...FIELDS, ...PROTO_KEYS), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 5 })
      .map((v) => JSON.stringify(v)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 40_000 }), fc.constantFrom(['[', ']', '1'], ['{"a":', '}', 'null']))
      .map(([n, [o, c, leaf]]) => nested(n, o, c, leaf)),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 100, max: 20_000 })
      .map((n) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])))),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...FIELDS), fc.integer({ min: 1000, max: 400_000 }))
      .map(([k, n]) => JSON.stringify({ [k]: 'x'.repeat(n) })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...PROTO_KEYS), fc.jsonValue({ maxDepth: 3 }))
      .map(([k, v]) => `{"${k}":${JSON.stringify(v)},"target":{"__proto__":{"pmts":["CsI01-A"]}}}`),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 200, unit: 'binary' }) },
);

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/json; charset=utf-16',
      'multipart/form-data; boundary=x',
      '',
    ),
  },
);

const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer().map(String),
  fc.constantFrom('hv', 'vmon', 'CsI01-A', '1e308', '-1', 'NaN', '2026-11-31T19:00:00Z'),
  fc.integer({ min: 1000, max: 6000 }).map((n) => 'q'.repeat(n)),
);
const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(
          'measurement',
          'field',
          'subject',
          'from',
          'to',
          'points',
          'limit',
          'action',
          'user',
          'alarmId',
          'since',
        ),
        fc.constantFrom(...PROTO_KEYS, 'a[b]', 'a[__proto__][x]', 'limit[]'),
        fc.string({ maxLength: 10 }),
      ),
      queryValue,
    ),
    { maxLength: 8 },
  )
  .map((pairs) => new URLSearchParams(pairs).toString());

type Auth = 'none' | 'expert' | 'admin' | 'cookie-forged' | 'bearer-forged';
const auth = fc.constantFrom<Auth>('none', 'expert', 'expert', 'admin', 'cookie-forged', 'bearer-forged');

const badRequest = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      method: fc.constant('POST'),
      path: fc.constantFrom(...POSTS),
      body: bodyText,
      type: contentType,
      auth,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      method: fc.constant('GET'),
      path: fc.tuple(fc.constantFrom(...GETS), queryString).map(([p, q]) => (q ? `${p}?${q}` : p)),
      body: fc.constant(''),
      type: fc.constant(''),
      auth,
    }),
  },
);

describe('API fuzzing (fast-check, real process)', () => {
  let h: ApiHarness;
  let t: Record<TestRole, string>;
  let alarmService: MqttClient;
  let requests = 0;

  beforeAll(async () => {
    h = await startApiHarness({ mqttUrl: servers.mqttUrl, services: ['api'], tag: 'fuzz' });
    alarmService = await testClient(servers.mqttUrl);
    await alarmService.subscribeAsync(['cicenns/sc/alarms/cmd/+', 'cicenns/sc/alarms/query/+']);
    alarmService.on('message', (topic, payload) => {
      const req = JSON.parse(payload.toString()) as { id: string; data: unknown };
      alarmService.publish(
        `${topic}/reply`,
        JSON.stringify({ id: req.id, response: { ok: true }, isDisposed: true }),
      );
    });
    t = await loginAll(h.apiUrl);
  });

  afterAll(async () => {
    alarmService?.end(true);
    await h?.stop();
  });

  function send(r: {
    method: string;
    path: string;
    body: string;
    type: string;
    auth: Auth;
  }): Promise<RawReply> {
    const headers: Record<string, string> = {};
    if (r.type) headers['content-type'] = r.type;
    // the expert is an API token (a fuzzed logout cannot end it); the admin's session may end
    if (r.auth === 'expert') headers.authorization = `Bearer ${SCRIPT_TOKEN}`;
    if (r.auth === 'admin') headers.authorization = `Bearer ${t.admin}`;
    if (r.auth === 'bearer-forged') headers.authorization = 'Bearer forged';
    if (r.auth === 'cookie-forged') headers.cookie = 'cicenns_session=%E0%A4%A; other=1';
    requests++;
    return rawCall(h.apiUrl, r.method, r.path, { headers, body: r.method === 'GET' ? undefined : r.body });
  }

  function expectWellFormed(r: RawReply, what: string): void {
    const where = `${what.slice(0, 300)} -> ${r.status} ${r.text.slice(0, 300)}`;
    expect([where, r.status < 500]).toEqual([where, true]);
    expect([where, r.headers['content-type']]).toEqual([where, expect.stringMatching(/^application\/json/)]);
    if (r.status >= 400) {
      expect([where, r.json]).toEqual([
        where,
        { statusCode: r.status, error: expect.any(String), message: expect.stringMatching(/\w{3}/) },
      ]);
      expect([where, /Internal server error|\bat \S+\.js:\d+|\/node_modules\//i.test(r.text)]).toEqual([
        where,
        false,
      ]);
    }
  }

  it('bad requests: no 5xx, every error is JSON with a message; a good request among them succeeds', async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.array(badRequest, { minLength: 1, maxLength: 6 }), async (bad) => {
        for (const r of bad)
          expectWellFormed(await send(r), `${r.method} ${r.path} [${r.type}] ${r.body.slice(0, 120)}`);
        const good = await send({
          method: 'POST',
          path: '/api/hv/preview',
          body: JSON.stringify({ target: { pmts: ['CsI01-A'] }, set: { iset: 150 } }),
          type: 'application/json',
          auth: 'expert',
        });
        expect([good.status, good.text.slice(0, 200)]).toEqual([200, expect.stringContaining('"changes"')]);
      }),
      { numRuns: 1000 },
    );
    // measured, for the report: thousands of requests in well under a minute
    console.log(`api fuzz: ${requests} requests in ${Date.now() - started} ms`);
    expect(requests).toBeGreaterThan(2000);
  });

  it('the refusals went to the audit log, each entry bounded', async () => {
    const log = (
      await rawCall(h.apiUrl, 'GET', '/api/audit?limit=5000', {
        headers: { authorization: `Bearer ${t.expert}` },
      })
    ).json as { params: unknown; outcome: string }[];
    expect(log.filter((e) => e.outcome === 'refused').length).toBeGreaterThan(100);
    for (const e of log) expect(JSON.stringify(e.params).length).toBeLessThanOrEqual(8100);
  });
});
