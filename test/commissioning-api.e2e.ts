/**
 * The commissioning routes of the API on real processes (api; Mosquitto from the e2e globalSetup)
 * with no commissioning service: 503 naming it, for watchers and for actions (audited as failed);
 * roles (experts act, shifters and viewers watch), the CSRF rules and bounded bodies on the new
 * POST routes; and the CLI's exit codes for usage (2) and refusals (3). The service's answers are
 * in test/commissioning-ui.e2e.ts, with the real service.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './support/processes';
import { readServerState } from './support/servers';
import {
  call,
  loginAll,
  rawCall,
  startApiHarness,
  type ApiHarness,
  type TestRole,
} from './support/api-harness';

jest.setTimeout(90_000);

const servers = readServerState();

describe('API commissioning routes without the commissioning service', () => {
  let h: ApiHarness;
  let t: Record<TestRole, string>;
  const api = (method: string, path: string, opts: Parameters<typeof call>[3] = {}) =>
    call(h.apiUrl, method, path, opts);
  const audit = async (action: string) =>
    (await api('GET', `/api/audit?action=${action}&limit=100`, { token: t.expert })).body as {
      user: string;
      outcome: string;
      target: string;
      detail: string;
      httpOrigin: string;
    }[];
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], {
      env: {
        ...process.env,
        CICENNS_URL: h.apiUrl,
        CICENNS_TOKEN: t.shifter,
        CICENNS_SESSION_FILE: join(h.dir, 's.json'),
      },
    }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );

  beforeAll(async () => {
    h = await startApiHarness({ mqttUrl: servers.mqttUrl, services: ['api'], tag: 'commapi' });
    t = await loginAll(h.apiUrl);
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('answers 503 naming the commissioning service, to a viewer watching and to an expert acting (audited)', async () => {
    const [list, start, history] = await Promise.all([
      api('GET', '/api/commissioning/runs', { token: t.viewer }),
      api('POST', '/api/commissioning/runs', {
        token: t.expert,
        body: { target: 'CsI01', comment: 'first' },
      }),
      api('GET', '/api/pmts/CsI01-A/calibrations', { token: t.viewer }),
    ]);
    for (const r of [list, start, history]) {
      expect(r.status).toBe(503);
      expect(r.body.message).toBe('the commissioning service did not answer within 10 s');
    }
    const entry = (await audit('commissioning.start')).find((e) => e.user === 'expert');
    expect(entry).toMatchObject({ outcome: 'failed', target: 'CsI01' });
    expect(entry!.detail).toMatch(/^503 the commissioning service did not answer/);
  });

  it('lets only experts act: a shifter is refused (403, audited), a PMT unknown to the inventory is 404', async () => {
    for (const [path, body] of [
      ['/api/commissioning/runs', { target: 'CsI01' }],
      ['/api/commissioning/runs/r1/abort', {}],
      ['/api/commissioning/runs/r1/approve', { comment: 'looks fine' }],
    ] as const) {
      const r = await api('POST', path, { token: t.shifter, body });
      expect(r.status).toBe(403);
    }
    expect((await audit('commissioning.approve')).find((e) => e.user === 'shifter')).toMatchObject({
      outcome: 'refused',
      target: 'r1',
    });
    const unknown = await api('GET', '/api/pmts/CsI99-Z/calibrations', { token: t.viewer });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('no PMT "CsI99-Z" in the detector inventory');
  });

  it('checks bodies and ids before anything is sent: 400 naming the field', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/api/commissioning/runs/r1/approve', {}, /^comment: /],
      ['/api/commissioning/runs/r1/reject', { comment: '   ' }, /^comment: a comment is required/],
      ['/api/commissioning/runs', { target: 'CsI01', user: 'someone-else' }, /Unrecognized key.*"user"/],
      ['/api/commissioning/runs', { target: [] }, /^target: /],
      [
        '/api/commissioning/runs',
        { target: 'CsI01', confirmations: [{ item: 'cables' }] },
        /^confirmations\.0/,
      ],
      ['/api/commissioning/runs/r1/confirm', { items: [] }, /^items: /],
      ['/api/commissioning/runs/r1/approve', { comment: 'x'.repeat(2001) }, /^comment: /],
      ['/api/commissioning/runs/r%20x/pause', {}, /^id: "r x" is not a run id/],
    ];
    for (const [path, body, message] of cases) {
      const r = await api('POST', path, { token: t.expert, body });
      expect([path, r.status]).toEqual([path, 400]);
      expect(r.body.message).toMatch(message);
    }
    const format = await api('GET', '/api/commissioning/runs/r1/report?format=pdf', { token: t.viewer });
    expect(format.status).toBe(400);
    expect(format.body.message).toMatch(/^format: /);
  });

  it('applies the CSRF rules: the session cookie from another origin is 403, a form is 415 (both audited)', async () => {
    const login = await rawCall(h.apiUrl, 'POST', '/api/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'expert', password: 'correct horse battery staple' }),
    });
    const cookie = String(login.headers['set-cookie']![0]).split(';')[0];
    const evil = 'http://127.0.0.1:9';
    const cross = await rawCall(h.apiUrl, 'POST', '/api/commissioning/runs/r1/abort', {
      headers: { cookie, origin: evil, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(cross.status).toBe(403);
    expect(cross.json.message).toMatch(/cross-origin request refused: Origin http:\/\/127.0.0.1:9/);
    const form = await rawCall(h.apiUrl, 'POST', '/api/commissioning/runs/r1/approve', {
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'comment=ok',
    });
    expect(form.status).toBe(415);
    expect((await audit('commissioning.abort')).find((e) => e.httpOrigin === evil)).toMatchObject({
      outcome: 'refused',
      target: 'r1',
    });
    expect((await audit('commissioning.approve')).some((e) => e.detail.startsWith('415'))).toBe(true);
  });

  it('documents the routes in OpenAPI with their roles', async () => {
    const doc = (await api('GET', '/api/openapi.json')).body;
    const op = (path: string, method: string) => doc.paths[path][method];
    expect(op('/api/commissioning/runs', 'post').description).toMatch(/^Needs the expert role/);
    expect(op('/api/commissioning/runs/{id}/approve', 'post').requestBody).toBeDefined();
    expect(op('/api/commissioning/runs/{id}', 'get').description).toMatch(/^Needs the viewer role/);
    expect(Object.keys(op('/api/commissioning/runs/{id}/report', 'get').responses['200'].content)).toEqual([
      'text/html',
      'text/markdown',
    ]);
    expect(op('/api/pmts/{id}/calibrations', 'get')).toBeDefined();
  });

  it('CLI: a missing --comment is usage (exit 2), a refusal of the API is exit 3', async () => {
    const usage = await cli('commission', 'approve', 'r1');
    expect(usage.code).toBe(2);
    expect(usage.out).toMatch(/approve: --comment "..." is required/);
    const refused = await cli('commission', 'run', 'CsI01', '--confirm', 'cables,light-tight');
    expect(refused.code).toBe(3);
    expect(refused.out).toMatch(/refused: 403: /);
    const unknown = await cli('commission', 'frobnicate');
    expect(unknown.code).toBe(2);
  });
});
