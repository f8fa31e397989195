/**
 * Run our services as real child processes (from dist/, built by `npm test`), capture their
 * output, kill and restart them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root, from test/support in the sources or dist/test/support when compiled. */
export const ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();

/**
 * The simulator of the tests that compare it with calibration.yaml: datasheet tubes, no DCR
 * settling after a voltage change (what it was before it had true tubes). A test of the true
 * tubes sets SIM_TUBE_SPREAD / SIM_DCR_SETTLE_AMPLITUDE itself.
 */
export const SIM_TEST_DEFAULTS = { SIM_TUBE_SPREAD: '0', SIM_DCR_SETTLE_AMPLITUDE: '0' } as const;

export type ServiceName =
  'simulator' | 'poller' | 'intake' | 'historian' | 'api' | 'demo' | 'alarms' | 'commissioning';

/** How each service says it is ready (the lines the e2e tests and the benchmarks wait for). */
export const READY_LINE: Partial<Record<ServiceName, RegExp>> = {
  simulator: /simulator: .*http/,
  poller: /poller: .*devices/,
  intake: /intake: subscribed/,
  historian: /historian: .* -> /,
  alarms: /alarms: \d+ alarms/,
  api: /api: listening/,
  commissioning: /commissioning: ready: /,
  /** every service in one process (apps/demo), once all of them are up */
  demo: /Ctrl-C stops it/,
};

/** KEY=VALUE lines of a systemd EnvironmentFile (comments and blank lines skipped). */
export function envFileVariables(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

/** A unit's own Environment= lines, `Environment=K=V` or `Environment="K=V with spaces"`. */
export function unitEnvironment(unit = 'cicenns@.service'): Record<string, string> {
  const text = readFileSync(join(ROOT, 'deploy', 'systemd', unit), 'utf8');
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^Environment=(?:"(\w+)=([^"]*)"|(\w+)=(.*))$/gm))
    out[m[1] ?? m[3]] = (m[2] ?? m[4]).trim();
  return out;
}

/**
 * NODE_OPTIONS as deployed: the shipped /etc/cicenns/cicenns.env's (deploy/env), which every
 * unit reads, else the unit's; SERVICE_NODE_OPTIONS if set (even empty). For benchmarks.
 */
export function deployedNodeOptions(): string {
  if (process.env.SERVICE_NODE_OPTIONS !== undefined) return process.env.SERVICE_NODE_OPTIONS;
  return (
    envFileVariables(join(ROOT, 'deploy', 'env', 'cicenns.env')).NODE_OPTIONS ??
    unitEnvironment().NODE_OPTIONS ??
    ''
  );
}

/**
 * The unit's settings of glibc's allocator (its MALLOC_* Environment= lines, e.g.
 * MALLOC_TRIM_THRESHOLD_), which every service gets. For benchmarks that start services as
 * deployed; SERVICE_MALLOC_DEFAULTS=1 leaves them out (glibc's defaults).
 */
export function deployedMallocEnvironment(): Record<string, string> {
  if (process.env.SERVICE_MALLOC_DEFAULTS) return {};
  return Object.fromEntries(Object.entries(unitEnvironment()).filter(([k]) => k.startsWith('MALLOC_')));
}

/**
 * The V8 flags the unit puts on node's command line (CICENNS_NODE_FLAGS of cicenns@.service), or
 * SERVICE_NODE_FLAGS if set (even empty: none). For benchmarks.
 */
export function deployedNodeFlags(): string[] {
  return (process.env.SERVICE_NODE_FLAGS ?? unitEnvironment().CICENNS_NODE_FLAGS ?? '')
    .split(/\s+/)
    .filter((f) => f !== '');
}

export class ServiceProcess {
  child?: ChildProcess;
  output = '';

  constructor(
    readonly name: ServiceName,
    readonly env: NodeJS.ProcessEnv,
    /** Extra node options, e.g. --cpu-prof (not allowed in NODE_OPTIONS). */
    readonly nodeArgs: string[] = [],
    /** working directory of the service (paths in the config must not depend on it) */
    readonly cwd: string = ROOT,
    /** the checkout whose dist/ is run (a benchmark's baseline build; default this one) */
    readonly root: string = ROOT,
  ) {}

  start(): this {
    const main = join(this.root, 'dist', 'apps', this.name, 'src', 'main.js');
    this.output = '';
    this.child = spawn(process.execPath, [...this.nodeArgs, main], {
      cwd: this.cwd,
      // NODE_ENV test unless the test gives the unit's (production: no demo accounts)
      env: { ...SIM_TEST_DEFAULTS, ...process.env, ...this.env, NODE_ENV: this.env.NODE_ENV ?? 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer) => {
      this.output += b.toString();
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
      if (process.env.E2E_VERBOSE) process.stderr.write(`[${this.name}] ${b}`);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    return this;
  }

  /** Stop: SIGTERM (graceful) or SIGKILL (a crash). Resolves when the process has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }

  async waitForOutput(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) {
        throw new Error(`${this.name} exited (${this.child.exitCode}) before ${pattern}:\n${this.output}`);
      }
      if (Date.now() > until)
        throw new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` distinct free ports (asked one after another, so none is handed out twice). */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  return ports;
}
