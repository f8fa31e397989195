import type { Rejection } from './daq-validator';

/** Why a message could not be handled at all (an exception: a bug, not a bad message). */
export const INTERNAL_ERROR = 'internal_error';

/** What the intake has seen: counts, and rejections by reason (no details: health is public). */
export class IntakeStats {
  received = 0;
  accepted = 0;
  readonly rejects: Record<string, number> = {};

  reject(r: Pick<Rejection, 'reason'> | { reason: typeof INTERNAL_ERROR }): void {
    this.rejects[r.reason] = (this.rejects[r.reason] ?? 0) + 1;
  }

  get rejected(): number {
    return Object.values(this.rejects).reduce((a, b) => a + b, 0);
  }
}
