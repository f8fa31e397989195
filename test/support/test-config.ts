import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT } from './processes';

export interface TestConfigOptions {
  hvPort: number;
  tempPort: number;
  mqttUrl: string;
  influxUrl?: string;
  apiPort?: number;
  pollMs?: number;
  /** a unique prefix keeps MQTT client ids of parallel test files apart */
  clientIdPrefix?: string;
  database?: string;
  /**
   * intake/poller wait for the historian's session (the shipped default). Off unless asked: most
   * test files start an intake or a poller without a historian.
   */
  requireHistorian?: boolean;
  /** replace devices/links entirely */
  mutate?: (cfg: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** API token of the viewer account every test configuration's users.yaml has (the API needs one). */
export const TEST_VIEWER_TOKEN = 'e2e-viewer-token-not-a-secret-0123456789';

/**
 * A copy of the embedded default configuration pointed at this test's ports, written to a temp
 * dir (the detector, calibration and profiles stay the repository's). Returns the file path.
 */
export function writeTestConfig(o: TestConfigOptions): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cicenns-cfg-'));
  const cfg = parse(readFileSync(join(ROOT, 'config', 'cicenns.yaml'), 'utf8'));
  cfg.mqtt.url = o.mqttUrl;
  cfg.mqtt.clientIdPrefix = o.clientIdPrefix ?? `t${process.pid}`;
  cfg.influx.url = o.influxUrl ?? '';
  cfg.influx.database = o.database ?? 'cicenns_test';
  cfg.influx.spoolPath = join(dir, 'spool.db');
  // the embedded config keeps its stores in the repository's var/: a test keeps its own
  cfg.alarms = { ...cfg.alarms, storePath: join(dir, 'alarms.db') };
  cfg.auth = { ...cfg.auth, auditPath: join(dir, 'audit.db') };
  cfg.api.port = o.apiPort ?? 0;
  cfg.intake.requireHistorian = o.requireHistorian ?? false;
  cfg.intake.deadLetterPath = join(dir, 'intake-dead-letters.db');
  cfg.poller = { ...cfg.poller, requireHistorian: o.requireHistorian ?? false };
  cfg.files = {
    detector: join(ROOT, 'config', 'detector.yaml'),
    calibration: join(ROOT, 'config', 'calibration.yaml'),
    profilesDir: join(ROOT, 'config', 'profiles'),
    alarms: join(ROOT, 'config', 'alarms.yaml'),
    procedures: join(ROOT, 'config', 'commissioning.yaml'),
  };
  cfg.commissioning = { ...cfg.commissioning, storePath: join(dir, 'commissioning.db') };
  for (const l of cfg.links) {
    if (l.id === 'hv-gw') l.port = o.hvPort;
    if (l.id === 'temp-line') l.port = o.tempPort;
  }
  if (o.pollMs) for (const d of cfg.devices) d.pollMs = o.pollMs;
  o.mutate?.(cfg);
  const sha256 = createHash('sha256').update(TEST_VIEWER_TOKEN).digest('hex');
  const users = { users: [{ name: 'e2e', role: 'viewer', tokens: [{ name: 'e2e', sha256 }] }] };
  writeFileSync(join(dir, 'users.yaml'), stringify(users));
  const file = join(dir, 'cicenns.yaml');
  writeFileSync(file, stringify(cfg));
  return { file, dir };
}

/**
 * `mutate` for a demo run as a new user meets it: no users file (the demo generates one account
 * per role and prints them).
 */
export function asNewDemo(dir: string): NonNullable<TestConfigOptions['mutate']> {
  return (c) => {
    c.files.users = join(dir, 'no-users.yaml');
  };
}
