import type { HttpRequest } from './http-types';
import { requestPolicyProblem } from './request-policy';

function req(method: string, headers: Record<string, string>): HttpRequest {
  return {
    method,
    headers,
    protocol: 'http',
    host: '127.0.0.1:8080',
    path: '/api/alarms/ack',
  } as unknown as HttpRequest;
}
const json = { 'content-type': 'application/json' };
const check = (method: string, headers: Record<string, string>) =>
  requestPolicyProblem(req(method, headers), ['https://grafana.lab'])?.getStatus();

describe('requestPolicyProblem (CSRF and content type)', () => {
  it('lets reads through whatever their origin', () => {
    expect(check('GET', { origin: 'http://evil.example' })).toBeUndefined();
  });

  it('accepts JSON from its own origin, an allowed origin, or a client that sends no Origin', () => {
    expect(check('POST', { ...json, origin: 'http://127.0.0.1:8080', cookie: 'x=1' })).toBeUndefined();
    expect(check('POST', { ...json, origin: 'https://grafana.lab' })).toBeUndefined();
    expect(check('POST', { ...json, cookie: 'x=1' })).toBeUndefined();
    expect(
      check('POST', { 'content-type': 'application/json; charset=utf-8', 'sec-fetch-site': 'same-origin' }),
    ).toBeUndefined();
  });

  it('refuses another origin (another port of the same host too), or Sec-Fetch-Site cross-site, with 403', () => {
    expect(check('POST', { ...json, origin: 'http://127.0.0.1:8090', cookie: 'x=1' })).toBe(403);
    expect(check('POST', { ...json, origin: 'null' })).toBe(403);
    expect(check('POST', { ...json, 'sec-fetch-site': 'same-site' })).toBe(403);
    const p = requestPolicyProblem(req('POST', { ...json, origin: 'http://sim:8090' }), []);
    expect(p?.message).toBe(
      'cross-origin request refused: Origin http://sim:8090 is neither this API (http://127.0.0.1:8080) nor in api.allowedOrigins',
    );
  });

  it('a Bearer token is not a browser credential: no origin check, but still JSON only', () => {
    expect(
      check('POST', { ...json, origin: 'http://elsewhere', authorization: 'Bearer abc' }),
    ).toBeUndefined();
    expect(check('POST', { authorization: 'Bearer abc' })).toBe(415);
  });

  it('refuses form, text and missing content types with 415 naming what came', () => {
    expect(check('POST', { 'content-type': 'application/x-www-form-urlencoded' })).toBe(415);
    expect(check('POST', { 'content-type': 'text/plain' })).toBe(415);
    expect(check('POST', { 'content-type': 'application/jsonx' })).toBe(415);
    expect(requestPolicyProblem(req('POST', {}), [])?.message).toBe(
      'POST /api/alarms/ack: the body must be JSON with Content-Type: application/json (got no Content-Type)',
    );
  });
});
