import type { Rejection } from './daq-validator';

/** What the intake has seen: counts, rejections by reason, and the last few rejections. */
export class IntakeStats {
  received = 0;
  accepted = 0;
  readonly rejects: Record<string, number> = {};
  readonly lastRejects: { ts: number; topic: string; reason: string }[] = [];

  reject(topic: string, r: Rejection): void {
    this.rejects[r.reason] = (this.rejects[r.reason] ?? 0) + 1;
    this.lastRejects.unshift({ ts: Date.now(), topic, reason: `${r.reason}: ${r.detail}` });
    if (this.lastRejects.length > 20) this.lastRejects.pop();
  }

  get rejected(): number {
    return Object.values(this.rejects).reduce((a, b) => a + b, 0);
  }
}
