/**
 * Units of the model (profile registers, docs/DATA.md) as Grafana unit ids. A unit missing here
 * fails the generation with its name: a panel must never show a value without its unit.
 */
import { DashboardInputError } from './errors';

const GRAFANA_UNITS: Record<string, string> = {
  V: 'volt',
  kV: 'kvolt',
  mV: 'mvolt',
  uA: 'µA',
  µA: 'µA',
  mA: 'mA',
  A: 'amp',
  degC: 'celsius',
  'degC/h': 'suffix:°C/h',
  Hz: 'hertz',
  s: 's',
  ms: 'ms',
  'V/s': 'suffix:V/s',
  kW: 'kwatt',
  W: 'watt',
  '%': 'percent',
  ratio: 'percentunit',
  count: 'short',
  'points/s': 'suffix:points/s',
  'events/min': 'suffix:/min',
  gain: 'sci', // an SPE gain (electrons per photoelectron), dimensionless, 1e6-ish
  bool: 'bool_on_off',
  state: 'none', // a state or a bit field shown through value mappings
  text: 'string',
  lines: 'short',
};

export function grafanaUnit(unit: string | undefined, where: string): string {
  if (unit === undefined) {
    throw new DashboardInputError(where, 'has no unit (profile register without `unit`)');
  }
  const id = GRAFANA_UNITS[unit];
  if (!id) {
    throw new DashboardInputError(
      `unit ${JSON.stringify(unit)} of ${where}`,
      `no Grafana unit for it (known: ${Object.keys(GRAFANA_UNITS).join(', ')})`,
    );
  }
  return id;
}
