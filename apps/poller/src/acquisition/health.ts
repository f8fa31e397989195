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

export const noPollerCounters = (): PollerCounters => ({
  polls: 0,
  failedPolls: 0,
  overruns: 0,
  readingsPublished: 0,
  badReadings: 0,
  publishDropped: 0,
});

/**
 * Per-device details listed at most. Listed whole they were about 230 bytes per device: 93 KB at
 * the 400 devices of a 10,000-PMT detector, sent every 2 s to each receiver (alarms, API,
 * historian), in configuration order, where the expert wants the few crates in trouble. Every
 * device's state stays in `connections` (device-down is judged from it).
 */
export const DETAIL_DEVICES_MAX = 40;

/** How much a device needs the expert's eye: down first, then overruns, failed polls, a slow sweep. */
function troubleOf(d: DevicePoller): [number, number, number, number] {
  const s = d.status;
  return [s.state === 'down' ? 1 : 0, s.overruns, s.failedPolls, (s.lastSweepMs ?? 0) / d.device.pollMs];
}

/** The `max` devices most in trouble, in configuration order among equals (a stable sort). */
function mostTroubled(devices: readonly DevicePoller[], max: number): readonly DevicePoller[] {
  if (devices.length <= max) return devices;
  const ranked = devices.map((d) => ({ d, t: troubleOf(d) }));
  ranked.sort((a, b) => {
    for (let i = 0; i < a.t.length; i++) if (a.t[i] !== b.t[i]) return b.t[i]! - a.t[i]!;
    return 0;
  });
  return ranked.slice(0, max).map((r) => r.d);
}

/**
 * The poller's ServiceHealth: connections "link/<id>" and "device/<id>", service-wide counters
 * (link counters summed), and per link and device (the most troubled DETAIL_DEVICES_MAX) the
 * details an expert asks for first.
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
      ...(devices.length > DETAIL_DEVICES_MAX && {
        devicesListed: `${DETAIL_DEVICES_MAX} of ${devices.length}, the most troubled first (down, overruns, failed polls, sweep time over period); every device's state is in connections`,
      }),
      devices: Object.fromEntries(
        mostTroubled(devices, DETAIL_DEVICES_MAX).map((d) => [
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
