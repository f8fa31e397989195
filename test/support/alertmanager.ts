/**
 * Debian's prometheus-alertmanager for the alarm tests and benchmark: started on loopback on a
 * free port, clustering off, state in a temp dir, routing everything to a null receiver (the
 * tests look at what Alertmanager holds through its API v2, not at notifications).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes';
import { waitFor } from './servers';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

export interface AmAlertStatus {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed' };
}

const CONFIG = `# test: hold alerts, notify nobody
global:
  resolve_timeout: 5m
route:
  receiver: 'null'
  group_by: [alertname, crystal]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: 'null'
`;

export class TestAlertmanager {
  private child?: ChildProcess;
  url = '';
  output = '';

  async start(): Promise<this> {
    if (!existsSync(ALERTMANAGER_BIN))
      throw new Error(
        `${ALERTMANAGER_BIN} missing: run the README test command (npm test), which installs it`,
      );
    const dir = mkdtempSync(join(tmpdir(), 'cicenns-am-'));
    writeFileSync(join(dir, 'alertmanager.yml'), CONFIG);
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.child = spawn(
      ALERTMANAGER_BIN,
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${dir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (b: Buffer) => (this.output = (this.output + b.toString()).slice(-20_000));
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    await waitFor('alertmanager /-/ready', async () => (await fetch(`${this.url}/-/ready`)).ok, 20_000);
    return this;
  }

  /** The alerts Alertmanager holds as firing (resolved ones, endsAt in the past, are not listed). */
  async alerts(filter: Record<string, string> = {}): Promise<AmAlertStatus[]> {
    const q = Object.entries(filter)
      .map(([k, v]) => `filter=${encodeURIComponent(`${k}="${v}"`)}`)
      .join('&');
    const res = await fetch(`${this.url}/api/v2/alerts${q ? `?${q}` : ''}`);
    if (!res.ok) throw new Error(`alertmanager: HTTP ${res.status}`);
    return (await res.json()) as AmAlertStatus[];
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await exited;
  }
}
