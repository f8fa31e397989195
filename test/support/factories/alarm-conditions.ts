/** Builders shared by the runtime's unit tests (not used by the service). */
import type { Condition } from '../../../apps/alarms/src/contracts';

export function hvTrip(active: boolean, over: Partial<Condition> = {}): Condition {
  return {
    alarmId: 'hv-trip:CsI01-A',
    rule: 'hv-trip',
    subject: { id: 'CsI01-A', kind: 'pmt', parent: 'CsI01', device: 'hv-crystal' },
    subsystem: 'hv',
    active,
    severity: 'alarm',
    value: active ? 0 : 1400,
    limit: 1330,
    unit: 'V',
    message: active ? 'HV channel tripped' : 'HV normal',
    guidance: 'Check the PMT base; reset the channel.',
    delayMs: 1000,
    ts: 0,
    ...over,
  };
}

export function deviceDown(device: string, active: boolean): Condition {
  return {
    alarmId: `device-down:${device}`,
    rule: 'device-down',
    subject: { id: device, kind: 'device' },
    subsystem: 'hv',
    active,
    severity: 'alarm',
    message: active ? `${device} does not answer` : `${device} answers`,
    guidance: 'Check the crate and its network.',
    delayMs: 500,
    ts: 0,
  };
}
