/**
 * Real servers for the e2e tests: Debian's mosquitto and influxd (and prometheus-alertmanager
 * when present), started as plain background processes on loopback, on non-default ports,
 * with their data in a temp dir. globalSetup starts them, globalTeardown stops them; test files
 * read where they are from the state file.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes';

/** Set by globalSetup for this jest run (tests inherit it), so parallel runs never collide. */
export const STATE_ENV = 'CICENNS_TEST_STATE';

export interface ServerState {
  dir: string;
  mqttUrl: string;
  mqttPort: number;
  influxUrl: string;
  pids: Record<string, number>;
}

export function readServerState(): ServerState {
  const file = process.env[STATE_ENV];
  if (!file || !existsSync(file))
    throw new Error(`no ${STATE_ENV} state file: e2e servers not started (run npm test)`);
  return JSON.parse(readFileSync(file, 'utf8')) as ServerState;
}

export function mosquittoConf(dir: string, port: number): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence true',
    `persistence_location ${dir}/`,
    'autosave_interval 5',
    // The default (1000) silently drops QoS 1 messages queued for a slow or offline subscriber.
    'max_queued_messages 10000000',
    'max_queued_bytes 0',
    'max_inflight_messages 1000', // as deploy/mosquitto: twice the intake's ackWindow
    'user root',
    'log_type error',
    'log_type warning',
    `log_dest file ${dir}/mosquitto.log`,
    '',
  ].join('\n');
}

export interface InfluxOptions {
  /**
   * run the continuous-query service (retention tiers), once a second, each run logged in
   * influxd.out (what it wrote, or its error; KEEP_TEST_DATA keeps the file); the shared test
   * server runs none
   */
  continuousQueries?: boolean;
  /** snapshot the cache and fully compact shards this soon after writes stop (disk-size benches) */
  compactWhenCold?: { snapshot: string; full: string };
  /**
   * the series index: inmem (1.x's default: every series in the heap) or tsi1 (on disk, memory-
   * mapped: what deploy/README.md advises); tests default to inmem, the scale benches use tsi1
   */
  index?: 'inmem' | 'tsi1';
}

export function influxConf(dir: string, port: number, rpcPort: number, opts: InfluxOptions = {}): string {
  const cold = opts.compactWhenCold
    ? `\n  cache-snapshot-write-cold-duration = "${opts.compactWhenCold.snapshot}"` +
      `\n  compact-full-write-cold-duration = "${opts.compactWhenCold.full}"`
    : '';
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  index-version = "${opts.index ?? 'inmem'}"
  query-log-enabled = false${cold}
[http]
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
  max-body-size = 0
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = ${opts.continuousQueries ?? false}
  run-interval = "1s"
  log-enabled = ${opts.continuousQueries ?? false}
`;
}

function startDetached(name: string, cmd: string, args: string[], dir: string): number {
  const out = openSync(join(dir, `${name}.out`), 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  if (!child.pid) throw new Error(`could not start ${cmd}`);
  return child.pid;
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function startMosquitto(dir: string, port: number): number {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'mosquitto.conf'), mosquittoConf(dir, port));
  return startDetached('mosquitto', '/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], dir);
}

export async function startInflux(dir: string, port: number, opts: InfluxOptions = {}): Promise<number> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'influxdb.conf'), influxConf(dir, port, await freePort(), opts));
  return startDetached('influxd', '/usr/bin/influxd', ['run', '-config', join(dir, 'influxdb.conf')], dir);
}

/**
 * An InfluxDB of its own on a free loopback port (a benchmark's), data in `dir`: resolves once it
 * answers /ping. stop() ends it (SIGTERM, then SIGKILL) and removes `dir`.
 */
export async function startOwnInflux(
  dir: string,
  opts: InfluxOptions = {},
  readyMs = 20_000,
): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const pid = await startInflux(join(dir, 'influxdb'), port, opts);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    stopPid(pid);
    await new Promise((r) => setTimeout(r, 500));
    stopPid(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('influxd /ping', async () => (await fetch(`${url}/ping`)).status === 204, readyMs);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, pid, stop };
}

export async function startAll(): Promise<ServerState> {
  for (const bin of ['/usr/sbin/mosquitto', '/usr/bin/influxd']) {
    if (!existsSync(bin))
      throw new Error(`${bin} missing: run the README test command (npm test), which installs it`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'cicenns-test-'));
  // Everything the run makes in a temp dir (configs, spools, browser profiles, extra servers'
  // data) goes under this one, so stopAll() leaves nothing behind; child processes inherit it.
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  process.env.TMPDIR = tmp;
  const pids: Record<string, number> = {};
  const mqttPort = await freePort();
  const influxPort = await freePort();
  pids.mosquitto = startMosquitto(join(dir, 'mosquitto'), mqttPort);
  pids.influxd = await startInflux(join(dir, 'influxdb'), influxPort);
  const influxUrl = `http://127.0.0.1:${influxPort}`;
  await waitFor('influxd /ping', async () => (await fetch(`${influxUrl}/ping`)).status === 204);
  await waitFor('mosquitto port', () => portOpen(mqttPort));
  const state: ServerState = { dir, mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, mqttPort, influxUrl, pids };
  const file = join(dir, 'state.json');
  writeFileSync(file, JSON.stringify(state, null, 2));
  process.env[STATE_ENV] = file;
  return state;
}

/** Stop the servers and remove everything the run kept on disk (unless KEEP_TEST_DATA). */
export async function stopAll(state: ServerState): Promise<void> {
  for (const pid of Object.values(state.pids)) stopPid(pid);
  await new Promise((r) => setTimeout(r, 500));
  for (const pid of Object.values(state.pids)) stopPid(pid, 'SIGKILL');
  if (!process.env.KEEP_TEST_DATA) rmSync(state.dir, { recursive: true, force: true });
}

export function portOpen(port: number): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const net = require('node:net') as typeof import('node:net');
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export function stopPid(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}
