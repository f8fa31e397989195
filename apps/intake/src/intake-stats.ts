import type { Rejection, ValidationResult, Warning } from './daq-validator';
import { clip } from './daq-text';

/** Why a message could not be handled at all (an exception: a bug, not a bad message). */
export const INTERNAL_ERROR = 'internal_error';

/**
 * What the intake has seen, as counts only (health is public; the details of refused messages
 * go, bounded, to cicenns/sc/intake/rejects). Each message counts once: accepted, rejected (by
 * reason) or ignored; the entries of a sweep refused one by one are counted apart (by reason),
 * and so are the warnings of accepted messages.
 */
export class IntakeStats {
  received = 0;
  /** messages with at least one reading */
  accepted = 0;
  /** readings taken from the accepted messages */
  readings = 0;
  /** messages on topics that are not the intake's business (commissioning, SPEC 2.4) */
  ignored = 0;
  /** messages refused, by reason */
  readonly rejects: Record<string, number> = {};
  /** sweep entries refused, by reason */
  readonly rejectedEntries: Record<string, number> = {};
  /** accepted messages with something suspicious, by reason */
  readonly warnings: Record<string, number> = {};

  /** Counts one message's outcome; returns what is worth a log line, if anything. */
  record(result: ValidationResult): string | undefined {
    if (result.outcome === 'ignored') {
      this.ignored++;
      return undefined;
    }
    for (const r of result.entryRejections) count(this.rejectedEntries, r.reason);
    if (result.outcome === 'rejected') {
      count(this.rejects, result.rejection.reason);
      return `rejected ${line(result.rejection)}`;
    }
    this.accepted++;
    this.readings += result.readings.length;
    for (const w of result.warnings) count(this.warnings, w.reason);
    const n = result.entryRejections.length;
    if (n > 0)
      return `accepted, ${n} ${n === 1 ? 'entry' : 'entries'} refused, first ${line(result.entryRejections[0])}`;
    return result.warnings.length ? `accepted with warning ${line(result.warnings[0])}` : undefined;
  }

  /** A message that could not be handled (an exception), counted as a reject of its own. */
  internalError(): void {
    count(this.rejects, INTERNAL_ERROR);
  }

  get rejected(): number {
    return sum(this.rejects);
  }

  /** The counters of the health message. */
  counters(): Record<string, number> {
    return {
      received: this.received,
      accepted: this.accepted,
      readingsAccepted: this.readings,
      rejected: this.rejected,
      rejectedEntries: sum(this.rejectedEntries),
      warnings: sum(this.warnings),
      ignored: this.ignored,
    };
  }
}

function count(by: Record<string, number>, reason: string): void {
  by[reason] = (by[reason] ?? 0) + 1;
}

export function line(r: Rejection | Warning): string {
  return `${r.reason}: ${clip(r.detail)}`;
}

function sum(by: Record<string, number>): number {
  let n = 0;
  for (const k in by) n += by[k];
  return n;
}
