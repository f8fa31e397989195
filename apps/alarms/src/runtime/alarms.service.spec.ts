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

  it('reports in health how late each reading was evaluated (p50, p99 and the bucket counts)', async () => {
    const cfg = loadSystemConfig(undefined, {});
    cfg.app.alarms.storePath = join(dir, 'alarms.db');
    cfg.app.mqtt.url = 'mqtt://127.0.0.1:9';
    const service = new AlarmsService(cfg, createRuleEngine(cfg));
    try {
      const none = service['healthSnapshot']().counters;
      expect([none.evaluationLagP50Ms, none.evaluationLagP99Ms]).toEqual([-1, -1]);
      const ts = Date.now() - 400; // a DCR sweep of two tubes, read 400 ms ago
      const dcr = (id: string) => ({
        m: 'dcr',
        id,
        ts,
        quality: 'good',
        fields: { rate_hz: 2900 },
        source: 'daq',
      });
      service.onBatch(
        'cicenns/sc/readings/intake',
        JSON.stringify({ service: 'intake', seq: 1, readings: [dcr('CsI01-A'), dcr('CsI01-B')] }),
      );
      const h = service['healthSnapshot']();
      expect(service.evaluationLag.total).toBe(2);
      expect(h.counters.evaluationLagP50Ms).toBeGreaterThanOrEqual(400);
      expect(h.counters.evaluationLagP99Ms).toBeLessThan(400 * 1.19 + 50);
      const buckets = (h.detail as { evaluationLagBuckets: Record<string, number> }).evaluationLagBuckets;
      expect(Object.values(buckets)).toEqual([2]);
    } finally {
      await service.onApplicationShutdown();
    }
  });
});
