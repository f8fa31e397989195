import type { Pmt, Sensor } from '@cicenns/model';
import type { AlarmSubject } from '@cicenns/contracts';

/** The DAQ as a data source: stale DAQ data is not suppressed by an HV crate's outage. */
export const DAQ_SOURCE = 'daq';

/** A PMT: its crystal or panel is the parent, its HV crate the device whose outage suppresses it. */
export function pmtSubject(p: Pmt, device: string = p.hv.device): AlarmSubject {
  return {
    id: p.id,
    kind: 'pmt',
    parent: p.parentId,
    parentKind: p.group === 'crystal' ? 'crystal' : 'panel',
    device,
  };
}

export function sensorSubject(s: Sensor): AlarmSubject {
  return { id: s.id, kind: 'sensor', device: s.device };
}

export function crystalSubject(id: string, device?: string): AlarmSubject {
  return device ? { id, kind: 'crystal', device } : { id, kind: 'crystal' };
}

export function deviceSubject(id: string): AlarmSubject {
  return { id, kind: 'device' };
}

export function serviceSubject(id: string, device?: string): AlarmSubject {
  return device ? { id, kind: 'service', device } : { id, kind: 'service' };
}
