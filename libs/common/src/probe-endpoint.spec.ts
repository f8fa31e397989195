import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@cicenns/model';
import { parseHealthListen, ServicePhase, startProbeEndpoint } from './probe-endpoint';

describe('CICENNS_HEALTH_LISTEN', () => {
  it('unset or empty: no endpoint', () => {
    expect(parseHealthListen(undefined)).toBeUndefined();
    expect(parseHealthListen('  ')).toBeUndefined();
  });

  it('host:port, [ipv6]:port and :port (all interfaces)', () => {
    expect(parseHealthListen('127.0.0.1:9101')).toEqual({ host: '127.0.0.1', port: 9101 });
    expect(parseHealthListen('localhost:9102')).toEqual({ host: 'localhost', port: 9102 });
    expect(parseHealthListen('[::1]:9103')).toEqual({ host: '::1', port: 9103 });
    expect(parseHealthListen(':9104')).toEqual({ host: '0.0.0.0', port: 9104 });
  });

  it.each([
    ['9101', 'must be host:port'],
    ['127.0.0.1', 'must be host:port'],
    ['127.0.0.1:0', 'the port must be 1..65535'],
    ['127.0.0.1:70000', 'the port must be 1..65535'],
    ['http://127.0.0.1:9101', 'must be host:port'],
    ['127.0.0.1:91o1', 'must be host:port'],
  ])('%s is a configuration error naming the variable', (value, why) => {
    let err: unknown;
    try {
      parseHealthListen(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      `environment: CICENNS_HEALTH_LISTEN: ${why}, got "${value}" (e.g. 127.0.0.1:9101)`,
    );
  });
});

describe('the probe endpoint', () => {
  let server: Server;
  let base: string;
  const phase = new ServicePhase();

  beforeAll(async () => {
    server = await startProbeEndpoint('svc', { host: '127.0.0.1', port: 0 }, phase);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${base}${path}`, init);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('/readyz is 503 with the reason while starting, 200 once ready, 503 while stopping', async () => {
    expect(await get('/readyz')).toEqual({
      status: 503,
      body: {
        status: 'starting',
        service: 'svc',
        reason: 'the service is starting (its start function has not finished)',
      },
    });
    phase.ready();
    expect(await get('/readyz')).toEqual({ status: 200, body: { status: 'ready', service: 'svc' } });
    phase.stopping('SIGTERM');
    expect(await get('/readyz')).toEqual({
      status: 503,
      body: { status: 'stopping', service: 'svc', reason: 'the service is stopping (SIGTERM)' },
    });
  });

  it('/livez is 200 with the uptime, in every phase', async () => {
    const { status, body } = await get('/livez');
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'alive', service: 'svc', pid: process.pid, uptimeS: expect.any(Number) });
    expect(body.uptimeS).toBeGreaterThanOrEqual(0);
  });

  it('other paths are 404, other methods 405; a query string is ignored', async () => {
    expect((await get('/metrics')).status).toBe(404);
    expect((await get('/livez?x=1')).status).toBe(200);
    const post = await get('/livez', { method: 'POST', body: 'x'.repeat(10_000) });
    expect(post).toEqual({ status: 405, body: { error: 'method POST not allowed: GET /livez or /readyz' } });
  });

  it('a port already taken is an error at start, not a crash later', async () => {
    const port = (server.address() as AddressInfo).port;
    await expect(
      startProbeEndpoint('other', { host: '127.0.0.1', port }, new ServicePhase()),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
