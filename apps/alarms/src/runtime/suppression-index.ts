/**
 * The alarm hierarchy of suppression.ts kept up to date one alarm at a time, so that a batch of
 * readings re-examines only the alarms whose suppressor may have changed (the ones in the batch,
 * and the channels of a device, or the consequences of a cause, whose condition just changed),
 * not every record of the detector on every batch.
 */
import type { AlarmSubject } from '@cicenns/contracts';
import { CONSEQUENCE_OF } from './suppression';

export interface Indexed {
  alarmId: string;
  rule: string;
  subject: AlarmSubject;
  conditionActive: boolean;
}

const CAUSE_RULES = new Set(Object.values(CONSEQUENCE_OF).flat());

export class SuppressionIndex {
  /** device id -> its device alarms whose condition holds (the first one is the suppressor) */
  private readonly downBy = new Map<string, Set<string>>();
  private readonly activeCauses = new Set<string>();
  /** device id -> the alarms on it; cause alarm id -> the consequences it would explain */
  private readonly onDevice = new Map<string, Set<string>>();
  private readonly consequences = new Map<string, Set<string>>();
  /** alarm id -> the keys it is filed under (to move it when its subject changes) */
  private readonly filed = new Map<string, { device?: string; causes: string[] }>();
  /** alarms whose suppressor may have changed since the last takePending() */
  private pending = new Set<string>();

  /** Record an alarm's subject and condition (as it is, or as it is about to be). */
  observe(r: Indexed): void {
    this.file(r);
    const id = r.alarmId;
    if (r.subject.kind === 'device') {
      let set = this.downBy.get(r.subject.id);
      if (r.conditionActive !== (set?.has(id) ?? false)) {
        if (!set) this.downBy.set(r.subject.id, (set = new Set()));
        if (r.conditionActive) set.add(id);
        else set.delete(id);
        this.touch(this.onDevice.get(r.subject.id));
      }
    }
    if (CAUSE_RULES.has(r.rule) && r.conditionActive !== this.activeCauses.has(id)) {
      if (r.conditionActive) this.activeCauses.add(id);
      else this.activeCauses.delete(id);
      this.touch(this.consequences.get(id));
    }
  }

  /** The alarm id that suppresses `r`: its device's down alarm, else a cause on its subject. */
  suppressorOf(r: Pick<Indexed, 'rule' | 'subject'>): string | undefined {
    if (r.subject.kind === 'device') return undefined;
    if (r.subject.device) {
      const down = this.downBy.get(r.subject.device);
      if (down && down.size > 0) return down.values().next().value;
    }
    for (const rule of CONSEQUENCE_OF[r.rule] ?? []) {
      const cause = `${rule}:${r.subject.id}`;
      if (this.activeCauses.has(cause)) return cause;
    }
    return undefined;
  }

  takePending(): Set<string> {
    const p = this.pending;
    this.pending = new Set();
    return p;
  }

  private touch(ids: Set<string> | undefined): void {
    if (ids) for (const id of ids) this.pending.add(id);
  }

  private file(r: Indexed): void {
    const device = r.subject.kind !== 'device' ? r.subject.device : undefined;
    const causes = (CONSEQUENCE_OF[r.rule] ?? []).map((rule) => `${rule}:${r.subject.id}`);
    const before = this.filed.get(r.alarmId);
    if (before && before.device === device && same(before.causes, causes)) return;
    if (before) {
      if (before.device) this.onDevice.get(before.device)?.delete(r.alarmId);
      for (const c of before.causes) this.consequences.get(c)?.delete(r.alarmId);
    }
    if (device) add(this.onDevice, device, r.alarmId);
    for (const c of causes) add(this.consequences, c, r.alarmId);
    this.filed.set(r.alarmId, { device, causes });
    this.pending.add(r.alarmId);
  }
}

function add(m: Map<string, Set<string>>, key: string, id: string): void {
  let s = m.get(key);
  if (!s) m.set(key, (s = new Set()));
  s.add(id);
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
