import type { ServiceHealth } from '@cicenns/contracts';
import type { DevicePoller } from './device-poller';
import type { ModbusLink } from '../links/modbus-link';

export interface PollerCounters {
  polls: number;
  failedPolls: number;
  overruns: number;
  readingsPublished: number;
  badReadings: number;
  publishDropped: number;
}

/**
 * The poller's ServiceHealth: connections "link/<id>" and "device/<id>", service-wide counters
 * (link counters summed), and per device and link the details an expert asks for first.
 */
export function pollerHealth(
  links: readonly ModbusLink[],
  devices: readonly DevicePoller[],
  counters: PollerCounters,
  mqttConnected: boolean,
  startedAt: number,
  now = Date.now(),
): ServiceHealth {
  const connections: ServiceHealth['connections'] = {};
  for (const l of links) {
    connections[`link/${l.id}`] = { state: l.state, detail: l.detail, since: l.since };
  }
  for (const d of devices) {
    const s = d.status;
    connections[`device/${d.device.id}`] = { state: s.state, detail: s.lastError, since: s.since };
  }
  const sum = (k: 'transactions' | 'timeouts' | 'reconnects') => links.reduce((a, l) => a + l.counters[k], 0);
  // 'connecting' (just started, not polled yet) is not a fault; a link that cannot connect is 'down'
  const allUp =
    mqttConnected &&
    links.every((l) => l.state !== 'down') &&
    devices.every((d) => d.status.state !== 'down');
  return {
    service: 'poller',
    state: allUp ? 'running' : 'degraded',
    ts: now,
    startedAt,
    connections,
    counters: {
      polls: counters.polls,
      transactions: sum('transactions'),
      failures: links.reduce((a, l) => a + l.counters.failures, 0),
      failedPolls: counters.failedPolls,
      timeouts: sum('timeouts'),
      reconnects: sum('reconnects'),
      overruns: counters.overruns,
      readingsPublished: counters.readingsPublished,
      badReadings: counters.badReadings,
      publishDropped: counters.publishDropped,
    },
    detail: {
      devices: Object.fromEntries(
        devices.map((d) => [
          d.device.id,
          {
            link: d.device.link,
            pollMs: d.device.pollMs,
            channels: d.channels.length,
            plannedReads: d.blocks.length,
            lastPollAt: d.status.lastPollAt,
            lastSweepMs: d.status.lastSweepMs,
            transactions: d.status.lastTransactions,
            polls: d.status.polls,
            failedPolls: d.status.failedPolls,
            overruns: d.status.overruns,
            lastError: d.status.lastError,
          },
        ]),
      ),
      links: Object.fromEntries(links.map((l) => [l.id, { ...l.counters, queued: l.queued }])),
    },
  };
}
