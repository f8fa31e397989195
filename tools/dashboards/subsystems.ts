/**
 * The subsystem of each alarm rule, as the alarm service files them (apps/alarms rule-engine
 * slots): a rule added to alarms.yaml without an entry here is a compile error.
 */
import type { Subsystem } from '@cicenns/contracts';
import type { RuleName } from '../../apps/alarms/src/rules/alarm-config';

export const RULE_SUBSYSTEM: Record<RuleName, Subsystem> = {
  'gain-drift': 'pmt',
  'gain-hv': 'pmt',
  'gain-creep': 'pmt',
  'dcr-high': 'pmt',
  'dcr-low': 'pmt',
  'dcr-creep': 'pmt',
  'hv-deviation': 'hv',
  'hv-over-current': 'hv',
  'hv-trip': 'hv',
  'hv-interlock': 'hv',
  'hv-temperature-error': 'hv',
  'hv-off': 'hv',
  'temperature-range': 'temperature',
  'temperature-rate': 'temperature',
  'sensor-open': 'temperature',
  'coincidence-excess': 'coincidence',
  stale: 'data-quality',
  'device-down': 'data-quality',
  'daq-down': 'daq',
  'broker-drops': 'data-quality',
  'historian-backlog': 'data-quality',
};
