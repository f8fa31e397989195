import { Gauge, Registry } from 'prom-client';
import type { ServiceHealth } from '@cicenns/contracts';
import type { LiveCache } from './live-cache';

/**
 * Prometheus metrics of the whole system, from the services' health reports on the bus
 * (so one scrape target covers processes that run apart).
 */
export function buildMetrics(cache: LiveCache): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'cicenns_service_up',
    help: '1 while a service reports itself running or degraded, 0 when offline or silent',
    labelNames: ['service'],
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const [name, s] of cache.services) {
        this.set({ service: name }, s.health.state !== 'offline' && now - s.receivedAt < 10_000 ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'cicenns_service_counter',
    help: 'Counters reported by each service (received, accepted, written, failures, backlog...)',
    labelNames: ['service', 'counter'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [name, s] of cache.services) {
        for (const [counter, v] of Object.entries(s.health.counters ?? {}))
          this.set({ service: name, counter }, v);
      }
    },
  });
  const byReason = (
    name: string,
    help: string,
    of: (h: ServiceHealth) => Record<string, number> | undefined,
  ): void => {
    new Gauge({
      name,
      help,
      labelNames: ['service', 'reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [service, s] of cache.services) {
          for (const [reason, v] of Object.entries(of(s.health) ?? {})) this.set({ service, reason }, v);
        }
      },
    });
  };
  byReason(
    'cicenns_rejected_messages',
    'Messages refused by a service, by reason, each counted once (total since the service started)',
    (h) => h.rejects,
  );
  byReason(
    'cicenns_rejected_entries',
    'Entries refused one by one inside messages (DAQ sweeps), by reason (total since the service started)',
    (h) => h.rejectedEntries,
  );
  byReason(
    'cicenns_warning_messages',
    'Messages accepted with a warning (unknown_field, inconsistent), by reason (total since the service started)',
    (h) => h.warnings,
  );
  return registry;
}
