import { Gauge, Registry } from 'prom-client';
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
  new Gauge({
    name: 'cicenns_rejected_messages',
    help: 'Messages refused by a service, by reason (total since the service started)',
    labelNames: ['service', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [name, s] of cache.services) {
        for (const [reason, v] of Object.entries(s.health.rejects ?? {}))
          this.set({ service: name, reason }, v);
      }
    },
  });
  return registry;
}
