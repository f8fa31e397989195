import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeHealth, healthReceiveCap, parseHealth, type ServiceHealth } from '@cicenns/contracts';
import { loadSystemConfig, writeGeneratedConfig } from '@cicenns/model';
import { alarmRulesFile } from '../alarms.module';
import { loadAlarmConfig } from './alarm-config';
import { DefaultRuleEngine } from './rule-engine';

/**
 * device-down on a large detector: the poller lists every link and crate in its health report
 * (apps/poller/src/acquisition/health.ts). With a fixed 16 KB cap the report kept its first 200
 * connections, so from about 10,000 PMTs the later devices (temperature crates first, HV crates from about
 * 12,000) had no device-down alarm at all.
 */
describe('device-down for every crate of a 20,000-PMT detector', () => {
  const dir = mkdtempSync(join(tmpdir(), 'device-down-scale-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the last HV crate and the last device of the configuration going down raise their device-down, through the encoded report', () => {
    writeGeneratedConfig({ pmts: 20_000 }, dir);
    const cfg = loadSystemConfig(join(dir, 'cicenns.yaml'), {});
    const hvCrates = cfg.app.devices.filter((d) => cfg.profiles.get(d.profile)?.kind === 'hv');
    const lastHv = hvCrates[hvCrates.length - 1]!;
    const last = cfg.app.devices[cfg.app.devices.length - 1]!;
    const downs = new Set([lastHv, last]);
    expect(cfg.app.links.length + cfg.app.devices.length).toBeGreaterThan(200);
    const now = Date.parse('2026-06-01T00:00:00Z');
    // the poller's report as it names things, with its per-device detail (about 250 bytes each)
    const connections: ServiceHealth['connections'] = {};
    for (const l of cfg.app.links) connections[`link/${l.id}`] = { state: 'up', since: now };
    for (const d of cfg.app.devices)
      connections[`device/${d.id}`] = downs.has(d)
        ? { state: 'down', detail: 'timeout after 1000 ms', since: now }
        : { state: 'up', since: now };
    const detail = {
      devices: Object.fromEntries(
        cfg.app.devices.map((d) => [d.id, { link: d.link, polls: 100, lastSweepMs: 12.5 }]),
      ),
    };
    const report: ServiceHealth = {
      service: 'poller',
      state: 'degraded',
      ts: now,
      connections,
      counters: { polls: 1 },
      detail,
    };
    const received = parseHealth(encodeHealth(report), healthReceiveCap(cfg));
    expect(received).toBeDefined();
    const engine = new DefaultRuleEngine(cfg, loadAlarmConfig(alarmRulesFile(cfg)));
    const down = engine.onHealth(received!, now).filter((c) => c.rule === 'device-down' && c.active);
    expect(down.map((c) => c.alarmId).sort()).toEqual(
      [`device-down:${lastHv.id}`, `device-down:${last.id}`].sort(),
    );
  });
});
