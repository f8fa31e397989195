import { createServer, type Server } from 'node:http';
import { ConfigError } from '@cicenns/model';

/** The environment variable that turns the probe endpoint on: `host:port` (unset: none). */
export const HEALTH_LISTEN_ENV = 'CICENNS_HEALTH_LISTEN';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `127.0.0.1:9101`, `[::1]:9101` or `:9101` (all interfaces); undefined or empty: no endpoint.
 * Anything else is a configuration error naming the variable (the service exits 2).
 */
export function parseHealthListen(value: string | undefined): ListenAddress | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const bad = (why: string) =>
    new ConfigError(
      'environment',
      HEALTH_LISTEN_ENV,
      `${why}, got "${value.slice(0, 80)}" (e.g. 127.0.0.1:9101)`,
    );
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(value.trim());
  if (!m) throw bad('must be host:port');
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw bad('the port must be 1..65535');
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** Where the service is in its life, for /readyz. */
export class ServicePhase {
  private state: 'starting' | 'ready' | 'stopping' = 'starting';
  private why = 'the service is starting (its start function has not finished)';
  readonly startedAt = Date.now();

  ready(): void {
    this.state = 'ready';
    this.why = '';
  }

  stopping(signal: string): void {
    this.state = 'stopping';
    this.why = `the service is stopping (${signal})`;
  }

  get current(): { state: string; reason: string } {
    return { state: this.state, reason: this.why };
  }
}

/**
 * A tiny HTTP server for systemd, a load balancer or a watchdog script, the same on every service:
 * - GET /livez: 200 with the uptime, answered by the service's own event loop (no worker, no
 *   cache): a blocked loop gives no answer, which is what a liveness check must see.
 * - GET /readyz: 200 once the start function resolved (connections made, subscriptions sent),
 *   503 while starting or stopping, with the reason on one line.
 * The full health (connections, counters) stays on MQTT and the API's /api/health.
 */
export function startProbeEndpoint(
  service: string,
  addr: ListenAddress,
  phase: ServicePhase,
): Promise<Server> {
  const server = createServer({ maxHeaderSize: 4096 }, (req, res) => {
    const send = (status: number, body: Record<string, unknown>) => {
      const text = `${JSON.stringify(body)}\n`;
      res.writeHead(status, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(text),
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    // the body of a probe is never read; drop whatever was sent
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(405, { error: `method ${req.method} not allowed: GET /livez or /readyz` });
    }
    const path = (req.url ?? '').split('?')[0];
    if (path === '/livez') {
      return send(200, {
        status: 'alive',
        service,
        pid: process.pid,
        uptimeS: Math.round((Date.now() - phase.startedAt) / 100) / 10,
      });
    }
    if (path === '/readyz') {
      const { state, reason } = phase.current;
      return state === 'ready'
        ? send(200, { status: 'ready', service })
        : send(503, { status: state, service, reason });
    }
    send(404, { error: `no ${path.slice(0, 100)} here: GET /livez or /readyz` });
  });
  // a probe is one short request: bounded headers and time, few connections
  server.headersTimeout = 5000;
  server.requestTimeout = 5000;
  server.maxConnections = 32;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      // the endpoint alone never keeps a process alive that has nothing else to do
      server.unref();
      resolve(server);
    });
  });
}
