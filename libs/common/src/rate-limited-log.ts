/**
 * At most one line per `intervalMs`, so a misbehaving publisher or a bug hit by every message
 * cannot flood the log; the next line written says how many were held back.
 */
export class RateLimitedLog {
  private last = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly intervalMs = 1000,
  ) {}

  /** Write `line` unless one was written less than intervalMs ago; true if written. */
  say(line: string, now = Date.now()): boolean {
    if (now - this.last < this.intervalMs) {
      this.suppressed++;
      return false;
    }
    const more = this.suppressed ? ` (+${this.suppressed} more not logged)` : '';
    this.last = now;
    this.suppressed = 0;
    this.write(`${line}${more}`);
    return true;
  }
}
