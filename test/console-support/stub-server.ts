/**
 * A stand-in for the API of the shift console (the contract in the console brief): auth with
 * a session cookie, PMTs, alarms (ack, shelve, journal), trends, SSE events, HV preview/apply,
 * serving the built page. Used to develop and test the page apart from the real backend.
 * Not a model of the detector: values are synthetic. `POST /stub/trip {pmt}` trips a channel.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parse } from 'yaml';

type Role = 'viewer' | 'shifter' | 'expert' | 'admin';
const RANK: Record<Role, number> = { viewer: 0, shifter: 1, expert: 2, admin: 3 };
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

interface Pmt {
  id: string;
  group: 'crystal' | 'veto';
  parent: string;
  sensor: string;
  channel: number;
  vset: number;
  vmon: number;
  imon: number;
  on: boolean;
  tripped: boolean;
  ramping: boolean;
  dcr: number;
  gain: number;
  temp: number;
  ts: number;
}

interface Alarm {
  alarmId: string;
  rule: string;
  state: string;
  severity: 'warning' | 'alarm';
  subsystem: string;
  subject: { id: string; kind: string; parent?: string; device?: string };
  message: string;
  guidance: string;
  conditionActive: boolean;
  raisedAt?: number;
  ack?: { by: string; at: number; comment?: string };
  shelf?: { by: string; reason: string; at: number; until: number };
  updatedAt: number;
}

export interface StubServer {
  url: string;
  passwords: Record<Role, string>;
  server: Server;
  /** trip a PMT: status tripped, vmon 0, an alarm raised */
  trip(pmt: string): void;
  /** push one changed PMT now (the benchmark's reading) */
  touch(pmt: string, vmon: number): number;
  close(): Promise<void>;
}

export async function startStub(publicDir: string, repoRoot: string, port = 0): Promise<StubServer> {
  const det = parse(readFileSync(join(repoRoot, 'config', 'detector.yaml'), 'utf8')) as {
    crystals: { id: string; sensor: string; pmts: { id: string; hv: { channel: number } }[] }[];
    panels: { id: string; sensor: string; pmts: { id: string; hv: { channel: number } }[] }[];
  };
  const now = Date.now();
  const pmts = new Map<string, Pmt>();
  const add = (
    group: Pmt['group'],
    parent: { id: string; sensor: string; pmts: { id: string; hv: { channel: number } }[] },
  ) => {
    for (const p of parent.pmts) {
      const v = group === 'crystal' ? 1400 : 900;
      pmts.set(p.id, {
        id: p.id,
        group,
        parent: parent.id,
        sensor: parent.sensor,
        channel: p.hv.channel,
        vset: v,
        vmon: v,
        imon: group === 'crystal' ? 95 : 60,
        on: true,
        tripped: false,
        ramping: false,
        dcr: group === 'crystal' ? 2900 : 290,
        gain: group === 'crystal' ? 3.6e6 : 1.4e7,
        temp: 22,
        ts: now,
      });
    }
  };
  for (const c of det.crystals) add('crystal', c);
  for (const p of det.panels) add('veto', p);

  const passwords: Record<Role, string> = { viewer: 'v-pw', shifter: 's-pw', expert: 'e-pw', admin: 'a-pw' };
  const sessions = new Map<string, { name: string; role: Role }>();
  const alarms = new Map<string, Alarm>();
  const journal: Record<string, unknown>[] = [];
  const clients = new Set<ServerResponse>();
  const previews = new Map<string, { pmts: string[]; vset?: number }>();

  const value = (v: number | null, unit: string, ts: number) => ({ value: v, unit, ts, quality: 'good' });
  const view = (p: Pmt) => {
    const bits = (p.on ? 1 : 0) | (p.ramping ? 2 : 0) | (p.tripped ? 64 : 0);
    const flags = [p.on && 'on', p.ramping && 'ramping_up', p.tripped && 'tripped'].filter(Boolean);
    return {
      id: p.id,
      group: p.group,
      parent: p.parent,
      hv: { device: p.group === 'crystal' ? 'hv-crystal' : 'hv-veto', channel: p.channel },
      sensor: p.sensor,
      limits: { vmax: p.group === 'crystal' ? 1500 : 1100, imaxUa: 200, rampMaxVps: 50 },
      vset: value(p.vset, 'V', p.ts),
      vmon: value(p.vmon, 'V', p.ts),
      imon: value(p.imon, 'uA', p.ts),
      status: { ...value(bits, '', p.ts), flags },
      temperature: value(p.temp, 'degC', p.ts),
      dcr: value(p.dcr, 'Hz', p.ts),
      gain: value(p.gain, '', p.ts),
      calibration: {
        version: 1,
        hvV: p.group === 'crystal' ? 1400 : 900,
        gain: p.group === 'crystal' ? 3.6e6 : 1.4e7,
        dcrHz: p.group === 'crystal' ? 2900 : 290,
      },
    };
  };
  const send = (event: string, data: unknown) => {
    const line = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) c.write(line);
  };
  const log = (a: Alarm, action: string, from: string, by?: string, comment?: string) =>
    journal.push({
      seq: journal.length + 1,
      ts: Date.now(),
      alarmId: a.alarmId,
      rule: a.rule,
      action,
      from,
      to: a.state,
      severity: a.severity,
      message: a.message,
      by,
      comment,
    });

  const raise = (
    id: string,
    rule: string,
    severity: Alarm['severity'],
    message: string,
    guidance: string,
    p: Pmt,
  ) => {
    const a: Alarm = {
      alarmId: `${rule}:${id}`,
      rule,
      state: 'active-unack',
      severity,
      subsystem: 'hv',
      subject: { id, kind: 'pmt', parent: p.parent },
      message,
      guidance,
      conditionActive: true,
      raisedAt: Date.now(),
      updatedAt: Date.now(),
    };
    alarms.set(a.alarmId, a);
    log(a, 'raise', 'normal');
    send('alarm', a);
  };
  // a standing warning so the list is never empty in the demo
  const w = pmts.get('PSV07-B')!;
  w.dcr = 720;
  raise(
    'PSV07-B',
    'dcr-drift',
    'warning',
    'DCR 2.5x the calibrated rate (limit 2x)',
    'Check the panel for a light leak; call the veto expert if it keeps rising.',
    w,
  );

  const tick = setInterval(() => {
    const t = Date.now();
    const changed: unknown[] = [];
    for (const p of pmts.values()) {
      p.ts = t;
      if (p.ramping) {
        p.vmon = Math.min(p.vset, p.vmon + 25);
        if (p.vmon >= p.vset) p.ramping = false;
      } else if (p.on && !p.tripped) p.vmon = p.vset + (Math.random() - 0.5) * 0.4;
      changed.push(view(p));
    }
    send('pmt', changed);
    send('beam', { on: true, power_kw: 140 + Math.random(), ts: t });
    send('health', {
      status: 'ok',
      services: { poller: { state: 'running' }, intake: { state: 'running' } },
    });
  }, 1000);
  const ping = setInterval(() => {
    for (const c of clients) c.write(': ping\n\n');
  }, 15_000);

  const body = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    let s = '';
    for await (const chunk of req) s += chunk;
    return s ? (JSON.parse(s) as Record<string, unknown>) : {};
  };
  const json = (res: ServerResponse, status: number, data: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(data));
  };
  const userOf = (req: IncomingMessage) => {
    const m = /cicenns_session=([^;]+)/.exec(req.headers.cookie ?? '');
    return m ? sessions.get(m[1]) : undefined;
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname;
      const method = req.method ?? 'GET';
      if (!path.startsWith('/api/') && !path.startsWith('/stub/')) {
        const file = normalize(join(publicDir, path === '/' ? 'index.html' : path));
        if (!file.startsWith(publicDir) || !existsSync(file)) return json(res, 404, { message: 'not found' });
        res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
        return res.end(readFileSync(file));
      }
      if (path === '/stub/trip' && method === 'POST') {
        stub.trip(String((await body(req)).pmt));
        return json(res, 200, { ok: true });
      }
      if (path === '/api/auth/login' && method === 'POST') {
        const b = await body(req);
        const role = b.username as Role;
        if (!(role in passwords) || passwords[role] !== b.password)
          return json(res, 401, { message: 'wrong user name or password' });
        const token = randomUUID();
        sessions.set(token, { name: role, role });
        return json(
          res,
          200,
          { token, user: { name: role, role }, expiresAt: Date.now() + 8 * 3600_000 },
          {
            'set-cookie': `cicenns_session=${token}; HttpOnly; Path=/; SameSite=Strict`,
          },
        );
      }
      const user = userOf(req);
      if (!user) return json(res, 401, { message: 'not logged in' });
      const need = (role: Role) => {
        if (RANK[user.role] >= RANK[role]) return true;
        json(res, 403, { message: `needs role ${role}, you are ${user.role}` });
        return false;
      };
      if (path === '/api/auth/logout') {
        sessions.delete(/cicenns_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? '');
        return json(res, 200, { ok: true }, { 'set-cookie': 'cicenns_session=; Path=/; Max-Age=0' });
      }
      if (path === '/api/me') return json(res, 200, user);
      if (path === '/api/pmts') return json(res, 200, [...pmts.values()].map(view));
      if (path === '/api/health')
        return json(res, 200, { status: 'ok', services: { poller: { state: 'running' } } });
      if (path === '/api/beam') return json(res, 200, { on: true, power_kw: 140, ts: Date.now() });
      if (path === '/api/alarms') return json(res, 200, [...alarms.values()]);
      if (path === '/api/alarms/journal') {
        const id = url.searchParams.get('alarmId');
        return json(
          res,
          200,
          journal.filter((e) => !id || e.alarmId === id).slice(-Number(url.searchParams.get('limit') ?? 200)),
        );
      }
      if (path === '/api/alarms/ack' && method === 'POST') {
        if (!need('shifter')) return;
        const b = await body(req);
        for (const id of b.alarmIds as string[]) {
          const a = alarms.get(id);
          if (!a) continue;
          const from = a.state;
          a.state = a.state === 'cleared-unack' ? 'normal' : 'active-ack';
          a.ack = { by: user.name, at: Date.now(), comment: b.comment as string | undefined };
          a.updatedAt = Date.now();
          log(a, 'ack', from, user.name, b.comment as string | undefined);
          send('alarm', a);
        }
        return json(res, 200, { ok: true });
      }
      const shelve = /^\/api\/alarms\/([^/]+)\/(shelve|unshelve)$/.exec(path);
      if (shelve && method === 'POST') {
        if (!need('shifter')) return;
        const a = alarms.get(decodeURIComponent(shelve[1]));
        if (!a) return json(res, 404, { message: 'no such alarm' });
        const b = await body(req);
        const from = a.state;
        if (shelve[2] === 'shelve') {
          a.state = 'shelved';
          a.shelf = {
            by: user.name,
            reason: String(b.reason),
            at: Date.now(),
            until: Date.now() + Number(b.minutes) * 60_000,
          };
        } else {
          a.state = a.conditionActive ? 'active-ack' : 'normal';
          delete a.shelf;
        }
        log(a, shelve[2], from, user.name, b.reason as string | undefined);
        send('alarm', a);
        return json(res, 200, a);
      }
      if (path === '/api/trends') {
        const from = Number(url.searchParams.get('from'));
        const to = Number(url.searchParams.get('to'));
        const n = Number(url.searchParams.get('points') ?? 600);
        const field = url.searchParams.get('field') ?? '';
        const base: Record<string, [number, string]> = {
          vmon: [1400, 'V'],
          imon: [95, 'uA'],
          rate_hz: [2900, 'Hz'],
          gain: [3.6e6, ''],
          value_c: [22, 'degC'],
        };
        const [b0, unit] = base[field] ?? [1, ''];
        const points = Array.from({ length: n }, (_, i) => {
          const t = from + ((to - from) * i) / (n - 1);
          return [Math.round(t), b0 * (1 + 0.004 * Math.sin(t / 600_000) + 0.001 * Math.sin(t / 37_000))];
        });
        return json(res, 200, { unit, points });
      }
      if (path === '/api/events') {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
        });
        res.write(': hello\n\n');
        clients.add(res);
        req.on('close', () => clients.delete(res));
        return;
      }
      if (path === '/api/hv/preview' && method === 'POST') {
        if (!need('expert')) return;
        const b = (await body(req)) as {
          target: { pmts?: string[]; crystal?: string; panel?: string; group?: string };
          set: { vset?: number };
        };
        const t = b.target;
        const list = [...pmts.values()].filter((p) =>
          t.pmts
            ? t.pmts.includes(p.id)
            : t.crystal
              ? p.parent === t.crystal
              : t.panel
                ? p.parent === t.panel
                : t.group === 'all' || p.group === t.group,
        );
        const previewId = randomUUID();
        previews.set(previewId, { pmts: list.map((p) => p.id), vset: b.set.vset });
        const changes = list.map((p) => {
          const vmax = p.group === 'crystal' ? 1500 : 1100;
          const allowed = b.set.vset === undefined || b.set.vset <= vmax;
          return {
            pmt: p.id,
            from: { vset: p.vset },
            to: b.set,
            allowed,
            ...(!allowed && { refusal: `vset ${b.set.vset} V above vmax ${vmax} V` }),
          };
        });
        return json(res, 200, { previewId, expiresAt: Date.now() + 60_000, changes });
      }
      if (path === '/api/hv/apply' && method === 'POST') {
        if (!need('expert')) return;
        const pv = previews.get(String((await body(req)).previewId));
        if (!pv) return json(res, 409, { message: 'preview expired or unknown' });
        const operationId = randomUUID().slice(0, 8);
        for (const id of pv.pmts) {
          const p = pmts.get(id)!;
          if (pv.vset !== undefined && pv.vset <= (p.group === 'crystal' ? 1500 : 1100)) {
            p.vset = pv.vset;
            p.ramping = true;
          }
        }
        const timer = setInterval(() => {
          let busy = false;
          for (const id of pv.pmts) {
            const p = pmts.get(id)!;
            busy ||= p.ramping;
            send('hv-progress', { operationId, pmt: id, target: p.vset, vmon: p.vmon, done: !p.ramping });
          }
          if (!busy) clearInterval(timer);
        }, 500);
        return json(res, 200, {
          operationId,
          results: pv.pmts.map((pmt) => ({ pmt, ok: true, readBack: { vset: pmts.get(pmt)!.vset } })),
        });
      }
      return json(res, 404, { message: `stub: no ${method} ${path}` });
    })().catch((e: unknown) => json(res, 500, { message: String(e) }));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const addr = server.address() as { port: number };

  const stub: StubServer = {
    url: `http://127.0.0.1:${addr.port}`,
    passwords,
    server,
    trip(id) {
      const p = pmts.get(id);
      if (!p) return;
      p.tripped = true;
      p.on = false;
      p.vmon = 0;
      p.imon = 0;
      p.ts = Date.now();
      send('pmt', [view(p)]);
      raise(
        id,
        'hv-trip',
        'alarm',
        `HV channel tripped (VMon 0 V, set ${p.vset} V)`,
        'Check IMon before the trip; reset and ramp up once. If it trips again, call the HV expert.',
        p,
      );
    },
    touch(id, vmon) {
      const p = pmts.get(id)!;
      p.vmon = vmon;
      p.ts = Date.now();
      send('pmt', [view(p)]);
      return p.ts;
    },
    close: () =>
      new Promise<void>((r) => {
        clearInterval(tick);
        clearInterval(ping);
        for (const c of clients) c.end();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
  return stub;
}

if (require.main === module) {
  const root = process.env.REPO_ROOT ?? join(__dirname, '..', '..');
  void startStub(
    join(root, 'dist', 'apps', 'console', 'public'),
    root,
    Number(process.env.PORT ?? 8099),
  ).then((s) => process.stdout.write(`stub console API on ${s.url} (shifter/s-pw, expert/e-pw)\n`));
}
