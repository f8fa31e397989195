import type { Rejection, ValidationResult, Warning } from './daq-validator';
import { clip } from './daq-text';

export interface RecentProblem {
  ts: number;
  topic: string;
  /** "reason: detail" */
  reason: string;
}

/** How many recent rejections and warnings are kept (each at most ~330 characters). */
const RECENT_MAX = 20;

/**
 * What the intake has seen. Each message counts once: accepted, rejected (by reason) or ignored;
 * the entries of a sweep refused one by one are counted apart (by reason), and so are the
 * warnings of accepted messages.
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
  readonly lastRejects: RecentProblem[] = [];
  readonly lastWarnings: RecentProblem[] = [];

  /** Counts one message's outcome; returns what is worth a log line, if anything. */
  record(topic: string, result: ValidationResult): string | undefined {
    if (result.outcome === 'ignored') {
      this.ignored++;
      return undefined;
    }
    // every entry counted; the first few of one message kept as examples
    result.entryRejections.forEach((r, i) =>
      this.count(this.rejectedEntries, i < 3 ? this.lastRejects : undefined, topic, r),
    );
    if (result.outcome === 'rejected') {
      this.count(this.rejects, this.lastRejects, topic, result.rejection);
      return `rejected ${line(result.rejection)}`;
    }
    this.accepted++;
    this.readings += result.readings.length;
    for (const w of result.warnings) this.count(this.warnings, this.lastWarnings, topic, w);
    const n = result.entryRejections.length;
    if (n > 0)
      return `accepted, ${n} ${n === 1 ? 'entry' : 'entries'} refused, first ${line(result.entryRejections[0])}`;
    return result.warnings.length ? `accepted with warning ${line(result.warnings[0])}` : undefined;
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

  private count(
    by: Record<string, number>,
    recent: RecentProblem[] | undefined,
    topic: string,
    r: Rejection | Warning,
  ): void {
    by[r.reason] = (by[r.reason] ?? 0) + 1;
    if (!recent) return;
    recent.unshift({ ts: Date.now(), topic: clip(topic, 120), reason: line(r) });
    if (recent.length > RECENT_MAX) recent.pop();
  }
}

function line(r: Rejection | Warning): string {
  return `${r.reason}: ${clip(r.detail)}`;
}

function sum(by: Record<string, number>): number {
  let n = 0;
  for (const k in by) n += by[k];
  return n;
}
