import { healthReceiveCapBytes } from '@cicenns/contracts';
import type { SystemConfig } from './load-config';

/** Connections a service reports beside the configuration's links and devices (mqtt, influx, daq, ...). */
const OTHER_CONNECTIONS = 16;

/**
 * What a receiver of health reports (alarms, API, historian) accepts: room for every link and
 * device of the configuration, which the poller lists one by one (device-down is judged from them).
 */
export function healthReceiveCap(cfg: Pick<SystemConfig, 'app'>): number {
  return healthReceiveCapBytes(cfg.app.links.length + cfg.app.devices.length + OTHER_CONNECTIONS);
}
