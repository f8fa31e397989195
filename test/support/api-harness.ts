/**
 * The API on real processes for test/api*.e2e.ts and test/hv*.e2e.ts: simulator, poller and api
 * from dist/ (Mosquitto and InfluxDB from the e2e globalSetup), a users file with one account
 * per role and an API token, and helpers to log in and call the API.
 */
import { writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { hashPassword, hashToken } from '@cicenns/common';
import { ServiceProcess, freePorts, type ServiceName } from './processes';
import { writeTestConfig } from './test-config';

export const ROLES = ['viewer', 'shifter', 'expert', 'admin'] as const;
export type TestRole = (typeof ROLES)[number];
export const PASSWORD = 'correct horse battery staple';
/** an API token of the user "script" (expert) */
export const SCRIPT_TOKEN = 'test-script-token-0123456789abcdefghijklmnop';

export interface ApiHarness {
  apiUrl: string;
  simUrl: string;
  dir: string;
  configFile: string;
  procs: Map<ServiceName, ServiceProcess>;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startApiHarness(o: {
  mqttUrl: string;
  influxUrl?: string;
  database?: string;
  services: ServiceName[];
  tag: string;
  /** change the configuration (after the harness's own changes) */
  mutate?: (cfg: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
}): Promise<ApiHarness> {
  const [hvPort, tempPort, simHttp, apiPort] = await freePorts(4);
  const { file, dir } = writeTestConfig({
    hvPort,
    tempPort,
    apiPort,
    mqttUrl: o.mqttUrl,
    influxUrl: o.influxUrl,
    database: o.database,
    pollMs: 500,
    clientIdPrefix: `${o.tag}${process.pid}`,
    mutate: (cfg) => {
      // writeTestConfig's temp dir (the spool is put there)
      cfg.auth = { auditPath: join(dirname(cfg.influx.spoolPath), 'audit.db'), hvPreviewTtlSeconds: 60 };
      o.mutate?.(cfg);
    },
  });
  const users = [];
  for (const role of ROLES) users.push({ name: role, role, password: await hashPassword(PASSWORD) });
  users.push({ name: 'script', role: 'expert', tokens: [{ name: 'ci', sha256: hashToken(SCRIPT_TOKEN) }] });
  writeFileSync(join(dir, 'users.yaml'), stringify({ users }));
  const env = { CICENNS_CONFIG: file, SIM_HTTP_PORT: String(simHttp) };
  const procs = new Map<ServiceName, ServiceProcess>();
  for (const name of o.services) procs.set(name, new ServiceProcess(name, env).start());
  if (procs.has('simulator')) await procs.get('simulator')!.waitForOutput(/simulator: .*http/);
  await procs.get('api')!.waitForOutput(/api: listening/);
  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    simUrl: `http://127.0.0.1:${simHttp}`,
    dir,
    configFile: file,
    procs,
    env,
    stop: async () => {
      for (const p of [...procs.values()].reverse()) await p.stop();
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test replies are checked field by field
export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * One raw HTTP call with any headers and body, from a chosen loopback source address (another
 * client machine: 127.0.0.0/8 is all local), for the hostile-client tests.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field
export type RawReply = { status: number; headers: IncomingHttpHeaders; text: string; json: any };

export function rawCall(
  base: string,
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: string | Buffer; from?: string } = {},
): Promise<RawReply> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers: o.headers,
        localAddress: o.from,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** One HTTP call; `auth` is a token (Bearer) or a Cookie header value. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; cookie?: string; body?: unknown; rawBody?: string } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined || opts.rawBody !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  let body: any = text; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    body = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: res.status, body, headers: res.headers };
}

export async function loginAll(base: string): Promise<Record<TestRole, string>> {
  const tokens = {} as Record<TestRole, string>;
  for (const role of ROLES) {
    const r = await call(base, 'POST', '/api/auth/login', { body: { username: role, password: PASSWORD } });
    if (r.status !== 200) throw new Error(`login ${role}: ${r.status} ${JSON.stringify(r.body)}`);
    tokens[role] = r.body.token;
  }
  return tokens;
}
