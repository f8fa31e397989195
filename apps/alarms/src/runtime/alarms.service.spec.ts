import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSystemConfig } from '@cicenns/model';
import { createRuleEngine } from '../alarms.module';
import { AlarmsService } from './alarms.service';
import { AlarmStore } from './alarm-store';
import { applyCondition, newRecord, shelve } from './lifecycle';
import { hvTrip } from '../../../../test/support/factories/alarm-conditions';

/**
 * The service's wiring at start-up. A shelf that ran out while the service was down falls due
 * in the first tick, inside the constructor; with Alertmanager configured that tick notifies,
 * and the notifier reads the runtime (a crash after a SIGKILL in CI, once).
 */
describe('AlarmsService start-up', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'alarms-svc-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts with Alertmanager configured and a stored shelf that expired while it was down', async () => {
    const cfg = loadSystemConfig(undefined, {});
    cfg.app.alarms.storePath = join(dir, 'alarms.db');
    cfg.app.alarms.alertmanagerUrl = 'http://127.0.0.1:9/'; // nothing listens: posts fail, counted
    cfg.app.mqtt.url = 'mqtt://127.0.0.1:9';
    const engine = createRuleEngine(cfg);
    const def = engine.knownAlarms().find((d) => d.alarmId === 'hv-trip:CsI01-A');
    expect(def).toBeDefined();

    const now = Date.now();
    const beam = { on: false, power_kw: 0 };
    const raised = applyCondition(newRecord(def!, now - 60_000), hvTrip(true, { delayMs: 0 }), {
      now: now - 60_000,
      beam,
    }).record;
    const shelved = shelve(
      raised,
      { by: 'shift-bob', reason: 'test', until: now - 1000 },
      {
        now: now - 30_000,
        beam,
      },
    ).record;
    expect(shelved.shelf).toBeDefined();
    const store = new AlarmStore(cfg.app.alarms.storePath);
    store.commit([shelved], []);
    store.close();

    const service = new AlarmsService(cfg, engine);
    try {
      const after = [...service.runtime.records()].find((r) => r.alarmId === def!.alarmId);
      expect(after?.shelf).toBeUndefined();
      expect(service.notifier).toBeDefined();
    } finally {
      await service.onApplicationShutdown();
    }
  });

  it('shuts down while the broker is unreachable (SIGTERM must end the process)', async () => {
    const cfg = loadSystemConfig(undefined, {});
    cfg.app.alarms.storePath = join(dir, 'alarms.db');
    cfg.app.mqtt.url = 'mqtt://127.0.0.1:9';
    const service = new AlarmsService(cfg, createRuleEngine(cfg));
    const t0 = Date.now();
    await service.onApplicationShutdown();
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
