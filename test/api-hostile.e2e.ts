/**
 * Hostile clients of the API (issue 9) on the real API process with real Mosquitto: deep, huge
 * and malformed bodies (JSON errors, never a 500 or an HTML page, refusals audited), CSRF from
 * another origin (also in a real Chromium: a page on another port of the same host), login
 * throttling per account and per source, response headers (and Swagger UI under its CSP), the
 * Secure cookie behind a trusted TLS proxy, single-use event tickets, event stream caps, and the
 * OpenAPI security marking of every route against what the API does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTROLLERS } from '../apps/api/src/api.module';
import { routeTable } from '../apps/api/src/http/route-table';
import { launchChromium, loggedInPage, type ConsoleBrowser } from './support/browser';
import { readServerState, waitFor } from './support/servers';
import {
  loginAll,
  PASSWORD,
  rawCall,
  SCRIPT_TOKEN,
  startApiHarness,
  type ApiHarness,
  type TestRole,
} from './support/api-harness';

jest.setTimeout(90_000);

const servers = readServerState();
const PROXY = '127.0.0.9';
const GRAFANA = 'http://grafana.test:3000';

describe('API against hostile clients', () => {
  let h: ApiHarness;
  let t: Record<TestRole, string>;
  let own: string;
  const json = (extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', ...extra });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}, from?: string) =>
    rawCall(h.apiUrl, 'POST', path, {
      headers: json(headers),
      body: typeof body === 'string' ? body : JSON.stringify(body),
      from,
    });
  const audit = async (action: string) =>
    (
      await rawCall(h.apiUrl, 'GET', `/api/audit?limit=1000&action=${action}`, {
        headers: { authorization: `Bearer ${t.expert}` },
      })
    ).json as Record<string, unknown>[];
  const preview = { target: { pmts: ['CsI01-A'] }, set: { iset: 150 } };

  beforeAll(async () => {
    h = await startApiHarness({
      mqttUrl: servers.mqttUrl,
      services: ['api'],
      tag: 'hostile',
      mutate: (cfg) => {
        cfg.api.trustProxy = [PROXY];
        cfg.api.allowedOrigins = [GRAFANA];
        cfg.api.maxEventStreams = 3;
        cfg.api.maxEventStreamsPerUser = 2;
      },
    });
    own = h.apiUrl;
    t = await loginAll(h.apiUrl);
  });

  afterAll(async () => {
    await h?.stop();
  });

  describe('bodies', () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);

    it.each([
      ['/api/auth/login', 'auth.login', undefined],
      ['/api/hv/preview', 'hv.preview', 'expert'],
      ['/api/alarms/ack', 'alarm.ack', 'shifter'],
    ] as const)(
      'a body nested 20,000 deep on %s: 400 JSON naming the limit, and the refusal is audited',
      async (path, action, role) => {
        const r = await post(path, `{"username":${deep}}`, {
          ...(role && { authorization: `Bearer ${t[role]}` }),
          origin: own,
        });
        expect(r.status).toBe(400);
        expect(r.headers['content-type']).toMatch(/^application\/json/);
        expect(r.json).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: 'body: nested deeper than 32 levels (the limit)',
        });
        const entry = (await audit(action)).find((e) => String(e.detail).includes('nested deeper'));
        expect(entry).toMatchObject({ outcome: 'refused', user: role ?? 'anonymous', httpOrigin: own });
        expect(JSON.stringify(entry!.params).length).toBeLessThan(8100); // kept, bounded
      },
    );

    it('too large, not JSON, unknown paths, bad escapes: JSON errors without stack or paths', async () => {
      const big = await post(
        '/api/auth/login',
        JSON.stringify({ username: 'x'.repeat(300_000), password: 'y' }),
      );
      expect(big.status).toBe(413);
      expect(big.json.message).toBe('body: larger than the limit of 262144 bytes (api.maxBodyBytes)');
      const bad = await post('/api/hv/preview', '{"target":', { authorization: `Bearer ${t.expert}` });
      expect(bad.status).toBe(400);
      expect(bad.json.message).toMatch(/^body: not valid JSON/);
      const missing = await rawCall(h.apiUrl, 'GET', '/api/nothing-here');
      expect(missing.status).toBe(404);
      expect(missing.json).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'Cannot GET /api/nothing-here',
      });
      const escape = await rawCall(h.apiUrl, 'GET', '/api/pmts/%E0%A4%A', {
        headers: { authorization: `Bearer ${t.viewer}` },
      });
      expect(escape.status).toBe(400);
      const gz = await post('/api/auth/login', 'x', { 'content-encoding': 'x-unknown' });
      const longUrl = await rawCall(h.apiUrl, 'GET', `/api/pmts?${'q'.repeat(20_000)}`);
      expect(longUrl.status).toBe(431);
      expect(gz.status).toBe(415);
      for (const r of [big, bad, missing, escape, gz, longUrl]) {
        expect(r.json).toMatchObject({ statusCode: r.status, message: expect.any(String) });
        expect(r.text).not.toMatch(/<html|at .*\.js:\d+|\/work\/|node_modules/i);
      }
      expect((await audit('auth.login')).some((e) => String(e.detail).startsWith('413 body: larger'))).toBe(
        true,
      );
    });
  });

  describe('CSRF', () => {
    let cookie: string;
    beforeAll(async () => {
      const r = await post('/api/auth/login', { username: 'expert', password: PASSWORD });
      cookie = String(r.headers['set-cookie']![0]).split(';')[0];
    });

    it('a form post with the session cookie from another port of the same host: 403, audited with its Origin', async () => {
      const evil = 'http://127.0.0.1:8090';
      const r = await rawCall(h.apiUrl, 'POST', '/api/alarms/dcr-high:PSV01-A/disable', {
        headers: { cookie, origin: evil, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'reason=pwned',
      });
      expect(r.status).toBe(403);
      expect(r.json.message).toBe(
        `cross-origin request refused: Origin ${evil} is neither this API (${own}) nor in api.allowedOrigins`,
      );
      const entry = (await audit('alarm.disable')).find((e) => e.httpOrigin === evil);
      expect(entry).toMatchObject({ user: 'expert', outcome: 'refused', target: 'dcr-high:PSV01-A' });
    });

    it('JSON from another origin, Sec-Fetch-Site cross-site: 403; a form without Origin: 415', async () => {
      expect((await post('/api/hv/preview', preview, { cookie, origin: 'http://sim.lab:8090' })).status).toBe(
        403,
      );
      expect((await post('/api/hv/preview', preview, { cookie, 'sec-fetch-site': 'same-site' })).status).toBe(
        403,
      );
      const form = await rawCall(h.apiUrl, 'POST', '/api/alarms/ack', {
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'alarmIds=a:1',
      });
      expect(form.status).toBe(415);
      expect(form.json.message).toMatch(
        /must be JSON with Content-Type: application\/json \(got application\/x-www-form-urlencoded\)/,
      );
    });

    it('accepts its own origin, an allowed origin, no Origin (scripts) and a Bearer token from anywhere', async () => {
      expect(
        (await post('/api/hv/preview', preview, { cookie, origin: own, 'sec-fetch-site': 'same-origin' }))
          .status,
      ).toBe(200);
      expect((await post('/api/hv/preview', preview, { cookie, origin: GRAFANA })).status).toBe(200);
      expect((await post('/api/hv/preview', preview, { cookie })).status).toBe(200);
      const bearer = await post('/api/hv/preview', preview, {
        authorization: `Bearer ${SCRIPT_TOKEN}`,
        origin: 'http://x',
      });
      expect(bearer.status).toBe(200);
    });

    it('in Chromium: a page on another port auto-submitting a form with the cookie is refused; the console works', async () => {
      let browser: ConsoleBrowser | undefined;
      let evilServer: Server | undefined;
      try {
        browser = await launchChromium();
        const { context, page } = await loggedInPage(browser.browser, h.apiUrl, 'expert', PASSWORD);
        evilServer = createServer((_req, res) => {
          res.setHeader('content-type', 'text/html');
          res.end(`<form method="post" action="${h.apiUrl}/api/alarms/gain-drift:CsI02-A/disable">
            <input name="reason" value="csrf"></form><script>document.forms[0].submit()</script>`);
        });
        await new Promise<void>((r) => evilServer!.listen(0, '127.0.0.1', r));
        const evil = `http://127.0.0.1:${(evilServer.address() as AddressInfo).port}`;
        const attack = await context.newPage();
        const answer = attack.waitForResponse((r) => r.url().includes('/disable'));
        await attack.goto(evil);
        expect((await answer).status()).toBe(403);
        await waitFor('the refusal in the audit', async () =>
          (await audit('alarm.disable')).some((e) => e.httpOrigin === evil && e.user === 'expert'),
        );
        // the console itself still changes state: an HV preview from its page
        const ok = await page.evaluate(async (body) => {
          const r = await fetch('/api/hv/preview', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          return r.status;
        }, preview);
        expect(ok).toBe(200);
      } finally {
        evilServer?.close();
        await browser?.close();
      }
    });
  });

  describe('login throttling', () => {
    const login = (username: string, password: string, from: string) =>
      post('/api/auth/login', { username, password }, {}, from);

    it('per account: a short back-off after 3 failures from the shared PC (429 + Retry-After), not a lock-out', async () => {
      const pc = '127.0.0.5';
      for (let i = 0; i < 3; i++) expect((await login('shifter', 'typo', pc)).status).toBe(401);
      const throttled = await login('shifter', PASSWORD, pc);
      expect(throttled.status).toBe(429);
      expect(throttled.headers['retry-after']).toBe('1');
      expect(throttled.json.message).toBe('too many failed logins for "shifter": try again in 1 s');
      // the same account from another machine waits too (per account, not per account and address)
      expect((await login('shifter', PASSWORD, '127.0.0.6')).status).toBe(429);
      // others at the same PC are not held up
      expect((await login('viewer', PASSWORD, pc)).status).toBe(200);
      // after the wait the right password works
      await waitFor(
        'the back-off to pass',
        async () => (await login('shifter', PASSWORD, pc)).status === 200,
      );
      const refused = (await audit('auth.login')).find((e) => String(e.detail).startsWith('429'));
      expect(refused).toMatchObject({ outcome: 'refused', target: 'shifter', origin: pc });
    });

    it('per source: one password over many accounts from one address is slowed after 10', async () => {
      const sprayer = '127.0.0.7';
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await login(`user${i}`, 'Winter2026!', sprayer)).status);
      expect(statuses).toEqual([...Array(10).fill(401), 429]);
      const r = await login('admin', PASSWORD, sprayer);
      expect(r.status).toBe(429);
      expect(r.json.message).toMatch(/^too many failed logins from 127\.0\.0\.7: try again in \d+ s$/);
      expect((await login('admin', PASSWORD, '127.0.0.8')).status).toBe(200);
    });
  });

  describe('response headers and TLS', () => {
    it('console and API: CSP, frame-ancestors none, X-Frame-Options DENY, nosniff, no-referrer, no X-Powered-By', async () => {
      for (const path of ['/', '/api/health', '/api/nothing']) {
        const r = await rawCall(h.apiUrl, 'GET', path);
        expect(r.headers['content-security-policy']).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
        expect(r.headers['content-security-policy']).toMatch(/script-src 'self';/);
        expect(r.headers['content-security-policy']).not.toMatch(/unsafe/);
        expect(r.headers['x-frame-options']).toBe('DENY');
        expect(r.headers['x-content-type-options']).toBe('nosniff');
        expect(r.headers['referrer-policy']).toBe('no-referrer');
        expect(r.headers['x-powered-by']).toBeUndefined();
        expect(r.headers['strict-transport-security']).toBeUndefined();
      }
      const docs = await rawCall(h.apiUrl, 'GET', '/api/docs');
      expect(docs.headers['content-security-policy']).toMatch(/style-src 'self' 'unsafe-inline'/);
      expect(docs.headers['content-security-policy']).toMatch(/script-src 'self';/);
    });

    it('Swagger UI renders under its CSP in Chromium (no violations)', async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.browser.newPage();
        const violations: string[] = [];
        page.on('console', (m) => {
          if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
        });
        await page.goto(`${h.apiUrl}/api/docs`);
        await page.waitForSelector('.swagger-ui .opblock-tag');
        expect(await page.textContent('.swagger-ui .info .title')).toMatch(/CICENNS slow control API/);
        expect(violations).toEqual([]);
      } finally {
        await browser.close();
      }
    });

    it('behind the trusted proxy over TLS: Secure cookie, HSTS, the client address from X-Forwarded-For', async () => {
      const via = {
        'x-forwarded-proto': 'https',
        'x-forwarded-for': '10.20.30.40',
        'x-forwarded-host': 'cicenns.lab',
        origin: 'https://cicenns.lab',
      };
      const r = await post('/api/auth/login', { username: 'viewer', password: PASSWORD }, via, PROXY);
      expect(r.status).toBe(200);
      expect(String(r.headers['set-cookie'])).toMatch(/; Secure/);
      expect(r.headers['strict-transport-security']).toMatch(/max-age=15552000/);
      const entry = (await audit('auth.login')).find((e) => e.origin === '10.20.30.40');
      expect(entry).toMatchObject({ user: 'viewer', outcome: 'ok', httpOrigin: 'https://cicenns.lab' });
      // the same headers from a client that is not the proxy are not believed
      const direct = await post(
        '/api/auth/login',
        { username: 'viewer', password: PASSWORD },
        { 'x-forwarded-proto': 'https' },
      );
      expect(direct.status).toBe(200);
      expect(String(direct.headers['set-cookie'])).not.toMatch(/Secure/);
      const spoofed = await post('/api/auth/login', { username: 'viewer', password: PASSWORD }, via);
      expect(spoofed.status).toBe(403); // Origin https://cicenns.lab is not this API for a direct client
    });
  });

  describe('event streams', () => {
    const streams: AbortController[] = [];
    const open = async (headers: Record<string, string>, query = '') => {
      const ctrl = new AbortController();
      const res = await fetch(`${h.apiUrl}/api/events${query}`, { headers, signal: ctrl.signal });
      if (res.status === 200) streams.push(ctrl);
      const body = res.status === 200 ? undefined : ((await res.json()) as { message: string });
      return { status: res.status, res, ctrl, body };
    };
    const openStreams = async () =>
      Number(
        /^cicenns_api_event_streams (\d+)$/m.exec((await rawCall(h.apiUrl, 'GET', '/metrics')).text)?.[1],
      );
    afterEach(async () => {
      for (const c of streams.splice(0)) c.abort();
      await waitFor('every stream released', async () => (await openStreams()) === 0);
    });
    const ticket = async (token: string) =>
      (await post('/api/events/ticket', {}, { authorization: `Bearer ${token}` })).json.ticket as string;

    it('a ticket opens one stream once; a token in the URL is refused; the cookie works', async () => {
      const tk = await ticket(t.viewer);
      const first = await open({}, `?ticket=${tk}`);
      expect(first.status).toBe(200);
      expect(first.res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const again = await open({}, `?ticket=${tk}`);
      expect(again.status).toBe(401);
      const inUrl = await fetch(`${h.apiUrl}/api/events?token=${SCRIPT_TOKEN}`);
      expect(inUrl.status).toBe(401);
      expect(((await inUrl.json()) as { message: string }).message).toMatch(/not accepted in the URL/);
      const login = await post(
        '/api/auth/login',
        { username: 'shifter', password: PASSWORD },
        {},
        '127.0.0.11',
      );
      const cookie = String(login.headers['set-cookie']![0]).split(';')[0];
      expect((await open({ cookie })).status).toBe(200);
    });

    it('caps streams per user and in total (429 with the reason); a closed stream is released', async () => {
      const viewer = { authorization: `Bearer ${t.viewer}` };
      expect((await open(viewer)).status).toBe(200);
      const second = await open(viewer);
      expect(second.status).toBe(200);
      const third = await open(viewer);
      expect(third.status).toBe(429);
      expect(third.body).toMatchObject({
        message: 'too many event streams for viewer: 2 open (api.maxEventStreamsPerUser); close one first',
      });
      expect((await open({ authorization: `Bearer ${t.admin}` })).status).toBe(200);
      const total = await open({ authorization: `Bearer ${t.expert}` });
      expect(total.status).toBe(429);
      expect(total.body?.message).toMatch(/3 open in all \(api.maxEventStreams\)/);
      second.ctrl.abort();
      await waitFor('the closed stream to be released', async () => (await open(viewer)).status === 200);
    });
  });

  it('OpenAPI marks exactly the routes that need a login as secured, and the API agrees for every route', async () => {
    const doc = (await rawCall(h.apiUrl, 'GET', '/api/openapi.json')).json as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const routes = routeTable(CONTROLLERS);
    expect(routes.length).toBeGreaterThan(20);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const excluded = ['GET /metrics'];
    expect(documented.sort()).toEqual(
      routes
        .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`)
        .filter((r) => !excluded.includes(r))
        .sort(),
    );
    for (const r of routes) {
      const path = r.path.replace(/:id/g, 'dcr-high:PSV01-A');
      const res = await rawCall(
        h.apiUrl,
        r.method,
        path,
        r.method === 'GET' ? {} : { headers: json(), body: '{}' },
      );
      const op = doc.paths[r.path.replace(/:([A-Za-z_]+)/g, '{$1}')]?.[r.method.toLowerCase()];
      if (r.need === 'public') {
        expect([r.path, res.status]).not.toEqual([r.path, 401]);
        if (op) expect([r.path, op.security]).toEqual([r.path, []]);
      } else {
        expect([r.path, res.status]).toEqual([r.path, 401]);
        expect([r.path, op?.security]).toEqual([r.path, [{ bearer: [] }, { cookie: [] }]]);
      }
    }
    expect(doc.paths['/api/health'].get.security).toEqual([]);
  });
});
