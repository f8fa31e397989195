/**
 * Alarm hierarchy, second half: the console's tree, each node showing the worst state below it.
 * Two views of the same alarms: detector > crystal/panel > PMT (where the physics is) and
 * device > channel (where the hardware is); service alarms stand on their own.
 */
import { type AlarmStateName, type AlarmView, type Severity } from '@cicenns/contracts';
import { severityRank } from './lifecycle';

export interface AlarmTreeNode {
  id: string;
  kind: string;
  /** the worst state of the alarms at and below this node */
  state: AlarmStateName;
  /** the highest severity among the non-normal alarms below, if any */
  severity?: Severity;
  /** alarms attached to this node itself */
  alarmIds: string[];
  children: AlarmTreeNode[];
}

/** Worse first: what needs a person most. */
const STATE_RANK: Record<AlarmStateName, number> = {
  'active-unack': 6,
  'cleared-unack': 5,
  'active-ack': 4,
  suppressed: 3,
  shelved: 2,
  disabled: 1,
  normal: 0,
};

export function worseState(a: AlarmStateName, b: AlarmStateName): AlarmStateName {
  return STATE_RANK[b] > STATE_RANK[a] ? b : a;
}

class Node implements AlarmTreeNode {
  state: AlarmStateName = 'normal';
  severity?: Severity;
  alarmIds: string[] = [];
  private readonly byId = new Map<string, Node>();

  constructor(
    readonly id: string,
    readonly kind: string,
  ) {}

  get children(): Node[] {
    return [...this.byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  child(id: string, kind: string): Node {
    let n = this.byId.get(id);
    if (!n) this.byId.set(id, (n = new Node(id, kind)));
    return n;
  }

  toJSON(): AlarmTreeNode {
    const out: AlarmTreeNode = {
      id: this.id,
      kind: this.kind,
      state: this.state,
      alarmIds: this.alarmIds,
      children: this.children.map((c) => c.toJSON()),
    };
    if (this.severity) out.severity = this.severity;
    return out;
  }
}

function mark(path: Node[], v: AlarmView): void {
  path[path.length - 1].alarmIds.push(v.alarmId);
  for (const n of path) {
    n.state = worseState(n.state, v.state);
    if (v.state !== 'normal' && (!n.severity || severityRank(v.severity) > severityRank(n.severity))) {
      n.severity = v.severity;
    }
  }
}

export function buildAlarmTree(views: AlarmView[]): AlarmTreeNode[] {
  const detector = new Node('detector', 'detector');
  const devices = new Node('devices', 'devices');
  const services = new Node('services', 'services');
  for (const v of views) {
    const s = v.subject;
    switch (s.kind) {
      case 'pmt':
      case 'sensor': {
        const path = [detector];
        if (s.parent) path.push(detector.child(s.parent, s.parentKind ?? 'crystal'));
        path.push(path[path.length - 1].child(s.id, s.kind));
        mark(path, v);
        break;
      }
      case 'crystal':
      case 'panel':
        mark([detector, detector.child(s.id, s.kind)], v);
        break;
      case 'detector':
        mark([detector], v);
        break;
      case 'device':
        mark([devices, devices.child(s.id, 'device')], v);
        break;
      case 'service':
        mark([services, services.child(s.id, 'service')], v);
        break;
    }
    if (s.kind !== 'device' && s.device) {
      const dev = devices.child(s.device, 'device');
      mark([devices, dev, dev.child(s.id, s.kind)], v);
    }
  }
  return [detector, devices, services].map((n) => n.toJSON());
}
